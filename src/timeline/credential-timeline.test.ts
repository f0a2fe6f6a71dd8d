import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { type Database, openDatabase } from '../db/database.ts';
import { notFound } from '../http/api-error.ts';
import type { ApiKey } from '../keys/api-key.ts';
import { MIGRATIONS } from '../server/migrations.ts';
import { UsageCounter } from '../usage/usage-counter.ts';
import { UsageStore } from '../usage/usage-store.ts';
import { CredentialTimeline, TIMELINE_SOURCE_LIMIT } from './credential-timeline.ts';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 1);
const KEY_ID = '01940000-0000-7000-8000-000000000001';
const BUSY_MINUTES = TIMELINE_SOURCE_LIMIT + 5;

let database: Database;
let dataDir: string;
let timeline: CredentialTimeline;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-timeline-'));
  database = await openDatabase({ url: null, dataDir, migrations: MIGRATIONS });
  const usage = new UsageStore(database.db, database.dialect);
  // One request in each of more minutes than one timeline holds; a second address in the last one.
  const counter = new UsageCounter('timeline-test');
  for (let i = 0; i < BUSY_MINUTES; i++)
    counter.count(KEY_ID, '192.0.2.1', i % 2 ? 200 : 503, T0 + i * MINUTE + 7);
  counter.count(KEY_ID, '2001:db8::1', 404, T0 + (BUSY_MINUTES - 1) * MINUTE + 9);
  await usage.apply(counter.take(), T0);
  const key = { id: KEY_ID, name: 'busy', integrator_id: 'i', environment: 'production', status: 'active' };
  timeline = new CredentialTimeline({
    keys: {
      get: async (id) => {
        if (id !== KEY_ID) throw notFound('API key');
        return key as ApiKey;
      },
    },
    clients: {
      get: async () => {
        throw notFound('OAuth client');
      },
    },
    usage,
    securityEvents: { forCredential: async () => [] },
    alerts: { concerning: async () => [] },
    auditEntries: async () => [],
  });
});
after(async () => {
  await database?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

it('a period with more rows than one timeline holds stops at a minute, says so, and the next page starts there', async () => {
  const window = { since: T0, until: T0 + 7 * 86_400_000 };
  const first = await timeline.build(KEY_ID, window);
  assert.equal(first.truncated, true);
  assert.equal(first.entries.filter((entry) => entry.type === 'usage').length, TIMELINE_SOURCE_LIMIT);
  assert.equal(first.next_since, new Date(T0 + TIMELINE_SOURCE_LIMIT * MINUTE).toISOString());
  assert.deepEqual(
    first.entries.filter((entry) => entry.type === 'new_ip').map((entry) => entry.ip),
    ['192.0.2.1'],
    'the address first used after the cut is left for the next page',
  );

  const rest = await timeline.build(KEY_ID, { ...window, since: Date.parse(first.next_since as string) });
  assert.equal(rest.truncated, false);
  assert.equal(rest.next_since, null);
  const restUsage = rest.entries.filter((entry) => entry.type === 'usage');
  assert.equal(restUsage.length, BUSY_MINUTES - TIMELINE_SOURCE_LIMIT);
  assert.equal(first.totals.requests + rest.totals.requests, BUSY_MINUTES + 1);
  assert.equal(first.totals['5xx'] + rest.totals['5xx'], Math.ceil(BUSY_MINUTES / 2));
  assert.deepEqual(
    rest.entries.filter((entry) => entry.type === 'new_ip').map((entry) => entry.ip),
    ['2001:db8::1'],
  );
  assert.deepEqual(
    rest.ips.map((ip) => ip.ip),
    ['192.0.2.1', '2001:db8::1'],
    'an address first used before the period but used in it is listed with its first use',
  );
});

it('a period that begins mid-minute includes that minute’s usage', async () => {
  const report = await timeline.build(KEY_ID, { since: T0 + 30_000, until: T0 + 2 * MINUTE });
  assert.deepEqual(
    report.entries.filter((entry) => entry.type === 'usage').map((entry) => entry.time),
    [new Date(T0).toISOString(), new Date(T0 + MINUTE).toISOString()],
  );
});

it('an id that is neither an API key nor an OAuth client is 404 not_found', async () => {
  await assert.rejects(
    timeline.build('01940000-0000-7000-8000-0000000000ff', { since: T0, until: T0 + MINUTE }),
    {
      code: 'not_found',
    },
  );
});
