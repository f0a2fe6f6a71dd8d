import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fieldWithNul } from './nul-character.ts';

describe('fieldWithNul', () => {
  it('names the first string or key holding U+0000 by its JSON pointer', () => {
    assert.equal(fieldWithNul({ name: 'ok', scopes: ['a', 'b\u0000'] }), '/scopes/1');
    assert.equal(fieldWithNul({ 'a/b~': { 'x\u0000': 1 } }), '/a~1b~0/x');
    assert.equal(fieldWithNul('\u0000'), '/');
    assert.equal(fieldWithNul({ n: 1, b: true, z: null, s: 'fine' }), undefined);
  });

  it('finds a NUL wherever it is in any JSON value, and nothing in values without one (property)', () => {
    const clean = fc.jsonValue().filter((value) => !JSON.stringify(value).includes('\\u0000'));
    fc.assert(fc.property(clean, (value) => fieldWithNul(value) === undefined));
    fc.assert(
      fc.property(
        clean,
        fc.string(),
        (value, text) => fieldWithNul({ value, [`k${text}`]: `${text}\u0000` }) !== undefined,
      ),
    );
  });
});
