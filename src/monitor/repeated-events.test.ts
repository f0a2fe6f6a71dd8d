import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REPEAT_WINDOW_MS, RepeatedEvents } from './repeated-events.ts';
import type { SecurityEventTable } from './security-event-schema.ts';

function memoryStore() {
  const rows = new Map<string, SecurityEventTable>();
  return {
    rows,
    insert: async (row: SecurityEventTable) => void rows.set(row.id, row),
    updateDetails: async (id: string, detailsJson: string) => {
      const row = rows.get(id);
      if (row) row.details_json = detailsJson;
    },
  };
}

const event = (id: string, ip: string): SecurityEventTable => ({
  id,
  created_at: 0,
  event: 'oauth_client_authentication_failed',
  source: 'oauth',
  credential_id: 'c1',
  integrator_id: null,
  ip,
  details_json: JSON.stringify({ reason: 'wrong_secret' }),
});

const countOf = (row: SecurityEventTable | undefined) => JSON.parse(row?.details_json ?? '{}').count;

describe('repeated security events', () => {
  it('identical events within a minute share one row whose count is every occurrence', async () => {
    const store = memoryStore();
    const repeats = new RepeatedEvents(store);
    const firsts = [0, 1, 2, 3, 4].map((i) => repeats.record(event(`e${i}`, '10.0.0.1'), 1000 + i).first);
    await repeats.flush(2000);
    assert.deepEqual(firsts, [true, false, false, false, false]);
    assert.equal(store.rows.size, 1);
    assert.equal(countOf(store.rows.get('e0')), 5);
  });

  it('another address, or the next window, opens a row of its own', async () => {
    const store = memoryStore();
    const repeats = new RepeatedEvents(store);
    repeats.record(event('a', '10.0.0.1'), 0);
    repeats.record(event('b', '10.0.0.2'), 1);
    repeats.record(event('c', '10.0.0.1'), REPEAT_WINDOW_MS);
    repeats.record(event('d', '10.0.0.1'), REPEAT_WINDOW_MS + 1);
    await repeats.flush(REPEAT_WINDOW_MS + 2);
    assert.deepEqual([...store.rows.keys()], ['a', 'b', 'c']);
    assert.deepEqual(
      ['a', 'b', 'c'].map((id) => countOf(store.rows.get(id))),
      [1, 1, 2],
    );
  });
});
