import assert from 'node:assert/strict';
import { it } from 'node:test';
import { AggregatedSecurityEvents } from './aggregated-events.ts';
import type { SecurityEventInput } from './security-events.ts';

const recorder = () => {
  const stored: SecurityEventInput[] = [];
  return { stored, record: async (input: SecurityEventInput) => void stored.push(input) };
};
const failed = { event: 'admin_authentication_failed', source: 'admin', ip: '198.51.100.1' };

it('stores one event per key and window, with the counts of what happened in it', async () => {
  const events = recorder();
  const aggregated = new AggregatedSecurityEvents(events, { windowMs: 60_000 });
  for (let i = 0; i < 500; i++) aggregated.add('a', failed, { failures: 1 }, {}, 1000 + i);
  aggregated.add('a', failed, { refused: 1 }, {}, 2000);
  aggregated.add('b', { ...failed, ip: '198.51.100.2' }, { failures: 1 }, {}, 1000);
  aggregated.sweep(60_999);
  assert.equal(events.stored.length, 0, 'no window has ended yet');
  aggregated.sweep(61_000);
  await aggregated.close();
  assert.equal(events.stored.length, 2);
  const first = events.stored.find((e) => e.ip === '198.51.100.1');
  assert.deepEqual(first?.details, {
    failures: 500,
    refused: 1,
    window_started_at: new Date(1000).toISOString(),
    window_ended_at: new Date(2000).toISOString(),
  });
  assert.equal(first?.event, 'admin_authentication_failed');
});

it('a window the caller closes is stored at once, and the next occurrence opens a new one', async () => {
  const events = recorder();
  const aggregated = new AggregatedSecurityEvents(events);
  aggregated.add('a', failed, { failures: 1 }, {}, 1000);
  aggregated.add('a', failed, { failures: 1, throttled: 1 }, { closeNow: true }, 1001);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(events.stored.length, 1);
  assert.equal(events.stored[0]?.details?.failures, 2);
  assert.equal(events.stored[0]?.details?.throttled, 1);
  aggregated.add('a', failed, { refused: 1 }, {}, 1002);
  await aggregated.close();
  assert.equal(events.stored.length, 2);
  assert.equal(events.stored[1]?.details?.refused, 1);
});

it('holds a bounded number of open windows, writing the oldest early', async () => {
  const events = recorder();
  const aggregated = new AggregatedSecurityEvents(events, { maxOpen: 3 });
  for (let i = 0; i < 5; i++) aggregated.add(`k${i}`, failed, { failures: 1 }, {}, 1000);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(events.stored.length, 2);
  await aggregated.close();
  assert.equal(events.stored.length, 5);
});
