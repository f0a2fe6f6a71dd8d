import assert from 'node:assert/strict';
import { it } from 'node:test';
import { MAX_USAGE_FLUSH_INTERVAL_MS, nextFlushDelay, USAGE_WRITE_BUDGET } from './usage-flusher.ts';

it('waits the configured interval after a cheap flush, longer after one that exceeded its budget', () => {
  assert.equal(nextFlushDelay(3, 5_000), 5_000);
  assert.equal(nextFlushDelay(5_000 * USAGE_WRITE_BUDGET, 5_000), 5_000);
  assert.equal(nextFlushDelay(1_000, 5_000), 1_000 / USAGE_WRITE_BUDGET);
  assert.equal(nextFlushDelay(60_000, 5_000), MAX_USAGE_FLUSH_INTERVAL_MS);
  assert.equal(nextFlushDelay(0, 60_000), 60_000);
});
