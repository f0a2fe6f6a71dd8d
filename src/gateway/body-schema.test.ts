import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { generateCredential } from '../crypto/key-format.ts';
import { bodySchemaProblem, compileBodySchema, isJsonMediaType } from './body-schema.ts';

const order = compileBodySchema({
  type: 'object',
  required: ['amount'],
  additionalProperties: false,
  properties: { amount: { type: 'integer' }, email: { type: 'string', format: 'email' } },
});
const check = (text: string | Buffer) => order(Buffer.isBuffer(text) ? text : Buffer.from(text));

describe('body schema', () => {
  it('accepts a matching body and names every field of one that does not match', () => {
    assert.deepEqual(check('{"amount": 3}'), { ok: true });
    const verdict = check('{"amount": "3", "email": "nope", "extra": 1}');
    assert.equal(verdict.ok, false);
    assert.ok(!verdict.ok && verdict.code === 'validation_failed');
    assert.deepEqual(verdict.errors?.map((e) => e.field).sort(), ['/amount', '/email', '/extra']);
  });

  it('never coerces or fills in: "3" is not an integer, and the body is left as sent', () => {
    const verdict = check('{"amount": "3"}');
    assert.ok(!verdict.ok && verdict.errors?.[0]?.field === '/amount');
  });

  it('tells empty, malformed, too deeply nested and non-UTF-8 bodies apart from schema failures', () => {
    for (const body of [
      '',
      '   ',
      '{"amount":',
      `${'['.repeat(65)}${']'.repeat(65)}`,
      Buffer.from([0x7b, 0xff, 0x7d]),
    ]) {
      const verdict = check(body);
      assert.ok(!verdict.ok && verdict.code === 'malformed_json', String(body));
    }
  });

  it('names a field that looks like a credential without echoing it', () => {
    const key = generateCredential('gate', 'test');
    const verdict = check(JSON.stringify({ amount: 1, [key]: true }));
    assert.ok(!verdict.ok);
    assert.ok(!JSON.stringify(verdict).includes(key));
  });

  it('never throws, whatever the bytes (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.json().map((j) => Buffer.from(j)),
        ),
        (bytes) => {
          const verdict = order(Buffer.from(bytes));
          assert.equal(typeof verdict.ok, 'boolean');
        },
      ),
    );
  });

  it('recognises JSON media types with parameters, and nothing else', () => {
    for (const type of [
      'application/json',
      'Application/JSON; charset=utf-8',
      'application/merge-patch+json',
    ])
      assert.equal(isJsonMediaType(type), true, type);
    for (const type of [
      undefined,
      '',
      'text/json',
      'text/plain',
      'application/jsonp',
      'application/x-www-form-urlencoded',
    ])
      assert.equal(isJsonMediaType(type), false, String(type));
  });

  it('explains why a schema is unusable', () => {
    assert.equal(bodySchemaProblem({ type: 'object' }), null);
    assert.match(bodySchemaProblem({ type: 'nope' }) ?? '', /not a valid JSON Schema/);
    assert.match(bodySchemaProblem({ $ref: '#/definitions/missing' }) ?? '', /cannot be compiled/);
    assert.match(bodySchemaProblem('object') ?? '', /must be a JSON Schema object/);
  });
});
