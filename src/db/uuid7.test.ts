import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isUuid, uuid7 } from './uuid7.ts';

describe('uuid7', () => {
  it('ids made across several refills of the random pool are valid, distinct and in creation order', () => {
    const now = Date.now();
    const ids = Array.from({ length: 2000 }, (_, i) => uuid7(now + Math.floor(i / 300)));
    assert.ok(ids.every(isUuid));
    assert.equal(new Set(ids).size, ids.length);
    assert.deepEqual([...ids].sort(), ids);
  });

  it('carries the millisecond it was made in its first 48 bits', () => {
    const now = Date.now() + 10_000;
    const id = uuid7(now);
    assert.equal(Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16), now);
  });
});
