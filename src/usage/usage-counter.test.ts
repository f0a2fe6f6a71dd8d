import assert from 'node:assert/strict';
import { it } from 'node:test';
import { UsageCounter } from './usage-counter.ts';

const T0 = Date.UTC(2026, 0, 1);

it("counts through a caller's memo exactly as without one, across batches", () => {
  const counter = new UsageCounter('memo');
  const memo = {};
  counter.count('cred-a', '192.0.2.1', 200, T0, memo);
  counter.count('cred-a', '192.0.2.1', 404, T0 + 1, memo);
  counter.count('cred-a', '192.0.2.2', 200, T0 + 2);
  // A memo of another credential is not used for this one.
  counter.count('cred-b', '192.0.2.1', 500, T0 + 3, memo);
  const first = counter.take();
  assert.deepEqual([...(first.credentials.get('cred-a')?.minutes ?? [])], [[T0, [2, 0, 1, 0]]]);
  assert.equal(first.credentials.get('cred-a')?.ips.get('192.0.2.1')?.count, 2);
  assert.equal(first.credentials.get('cred-a')?.ips.get('192.0.2.2')?.count, 1);
  assert.deepEqual([...(first.credentials.get('cred-b')?.minutes ?? [])], [[T0, [0, 0, 0, 1]]]);
  // After the batch is handed over, the memo's entry belongs to it: the next count starts a new one.
  counter.count('cred-b', '192.0.2.1', 200, T0 + 4, memo);
  const second = counter.take();
  assert.deepEqual([...(second.credentials.get('cred-b')?.minutes ?? [])], [[T0, [1, 0, 0, 0]]]);
  assert.deepEqual([...(first.credentials.get('cred-b')?.minutes ?? [])], [[T0, [0, 0, 0, 1]]]);
  assert.equal(second.credentials.has('cred-a'), false);
});
