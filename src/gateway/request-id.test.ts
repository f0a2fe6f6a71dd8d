import assert from 'node:assert/strict';
import { it } from 'node:test';
import { isUuid } from '../db/uuid7.ts';
import { createRequestIds } from './request-id.ts';

it('hands out UUID-shaped ids that never repeat, in one process or across two', () => {
  const first = createRequestIds();
  const second = createRequestIds();
  const seen = new Set<string>();
  for (let i = 0; i < 10_000; i++) {
    for (const id of [first(), second()]) {
      assert.ok(isUuid(id), id);
      assert.equal(id[14], '8');
      assert.ok(!seen.has(id));
      seen.add(id);
    }
  }
});
