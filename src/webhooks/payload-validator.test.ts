import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { Ajv } from 'ajv';
import { PayloadValidator } from './payload-validator.ts';

const schema = JSON.stringify({ type: 'object', required: ['id'], properties: { id: { type: 'string' } } });

describe('payload validator', () => {
  it('names the fields of data that does not match its event type’s schema', () => {
    const validator = new PayloadValidator();
    assert.deepEqual(validator.check('order.created@1', schema, { id: 'o_1' }), []);
    assert.deepEqual(
      validator.check('order.created@1', schema, { id: 7 }).map((error) => error.field),
      ['/data/id'],
    );
  });

  it('keeps at most 500 compiled schemas, in its cache and in Ajv’s, and still checks an evicted one', () => {
    const removed = mock.method(Ajv.prototype, 'removeSchema');
    try {
      const validator = new PayloadValidator();
      for (let version = 1; version <= 510; version++)
        validator.check(`order.created@${version}`, schema, {});
      assert.equal(removed.mock.callCount(), 10);
      assert.equal(validator.check('order.created@1', schema, {}).length, 1);
    } finally {
      removed.mock.restore();
    }
  });
});
