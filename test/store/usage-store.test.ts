import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Database, openDatabase } from '../../src/db/database.ts';
import { MIGRATIONS } from '../../src/server/migrations.ts';
import type { AlertSink } from '../../src/usage/alert-sink.ts';
import { type UsageBatch, UsageCounter } from '../../src/usage/usage-counter.ts';
import { runUsageDetectors } from '../../src/usage/usage-detectors.ts';
import { UsagePurge } from '../../src/usage/usage-purge.ts';
import { DEFAULT_USAGE_SETTINGS } from '../../src/usage/usage-settings.ts';
import { CREDENTIALS_PER_CHUNK, UsageStore } from '../../src/usage/usage-store.ts';
import { createTestPostgres, POSTGRES_SKIP_MESSAGE, type TestPostgres } from '../support/postgres.ts';

const postgres = await createTestPostgres();
const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 1);

for (const backend of ['SQLite', 'PostgreSQL'] as const) {
  const skip = backend === 'PostgreSQL' && !postgres ? POSTGRES_SKIP_MESSAGE : false;
  describe(`usage records on ${backend}`, { skip }, () => {
    let database: Database;
    let store: UsageStore;
    let dataDir: string;
    let pg: TestPostgres | undefined;

    before(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-usage-'));
      pg = backend === 'PostgreSQL' ? await createTestPostgres() : undefined;
      database = await openDatabase({ url: pg?.url ?? null, dataDir, migrations: MIGRATIONS });
      store = new UsageStore(database.db, database.dialect);
    });
    after(async () => {
      await database?.close();
      await pg?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('adds batches by status class and address, and applies a retried batch once', async () => {
      const counter = new UsageCounter('run-a');
      counter.count('cred-1', '192.0.2.1', 200, T0 + 1_000);
      counter.count('cred-1', '192.0.2.1', 404, T0 + 2_000);
      counter.count('cred-1', '192.0.2.2', 503, T0 + MINUTE + 5);
      counter.count('cred-1', '192.0.2.1', 302, T0 + MINUTE + 9);
      const batch = counter.take();
      assert.equal((await store.apply(batch, T0 + 2 * MINUTE)).applied, true);
      assert.equal((await store.apply(batch, T0 + 2 * MINUTE)).applied, false);
      counter.count('cred-1', '192.0.2.1', 201, T0 + MINUTE + 30);
      const second = await store.apply(counter.take(), T0 + 2 * MINUTE);
      assert.deepEqual(second.credentials.get('cred-1'), {
        firstUse: T0 + 1_000,
        newIps: [],
        busiestMinute: 3,
      });
      assert.deepEqual(await store.minutes('cred-1', T0, T0 + 2 * MINUTE), [
        { minute: T0, status2xx: 1, status3xx: 0, status4xx: 1, status5xx: 0 },
        { minute: T0 + MINUTE, status2xx: 1, status3xx: 1, status4xx: 0, status5xx: 1 },
      ]);
      assert.deepEqual(await store.ips('cred-1'), [
        { ip: '192.0.2.1', firstSeen: T0 + 1_000, lastSeen: T0 + MINUTE + 30, count: 4 },
        { ip: '192.0.2.2', firstSeen: T0 + MINUTE + 5, lastSeen: T0 + MINUTE + 5, count: 1 },
      ]);
    });

    /** Applies a batch, then runs the default detectors on it, as the flusher does. */
    const applyAndDetect = async (batch: UsageBatch, now: number, sink: AlertSink) => {
      const applied = await store.apply(batch, now);
      await runUsageDetectors({
        store,
        sink,
        settings: DEFAULT_USAGE_SETTINGS.detectors,
        batch,
        applied,
        now,
      });
      return applied;
    };

    it('detectors: new_ip after the learning period, volume_spike, error_rate', async () => {
      const raised: { rule: string; subject: string }[] = [];
      const sink: AlertSink = { raise: ({ rule, subject }) => void raised.push({ rule, subject }) };
      const counter = new UsageCounter('run-b');
      const day = 24 * 60 * MINUTE;
      // A day of one request a minute, from one address.
      for (let m = 0; m < 61; m++) counter.count('cred-2', '198.51.100.1', 200, T0 + m * MINUTE);
      await store.apply(counter.take(), T0 + day);
      const now = T0 + day + MINUTE;
      for (let i = 0; i < 150; i++)
        counter.count(
          'cred-2',
          i < 100 ? '198.51.100.1' : '198.51.100.9',
          i < 90 ? 500 : 200,
          T0 + 61 * MINUTE,
        );
      await applyAndDetect(counter.take(), now, sink);
      assert.deepEqual(raised.map((a) => a.rule).sort(), ['error_rate', 'new_ip', 'volume_spike']);
      assert.ok(raised.every((a) => a.subject === 'credential:cred-2'));
    });

    it('a minute filled over several batches is a volume spike once it holds enough requests', async () => {
      const raised: string[] = [];
      const sink: AlertSink = { raise: ({ rule }) => void raised.push(rule) };
      const counter = new UsageCounter('run-spike');
      const day = 24 * 60 * MINUTE;
      for (let m = 0; m < 61; m++) counter.count('cred-5', '198.51.100.5', 200, T0 + m * MINUTE);
      await store.apply(counter.take(), T0 + day);
      // Four flushes within one minute, 30 requests each: only the stored minute reaches 100.
      for (let flush = 1; flush <= 4; flush++) {
        for (let i = 0; i < 30; i++) counter.count('cred-5', '198.51.100.5', 200, T0 + 61 * MINUTE + flush);
        const applied = await applyAndDetect(counter.take(), T0 + day + flush, sink);
        assert.equal(applied.credentials.get('cred-5')?.busiestMinute, 30 * flush);
        assert.deepEqual(raised, flush < 4 ? [] : ['volume_spike'], `after flush ${flush}`);
      }
    });

    it('an address used again after retention purged it is new again; one used lately is known', async () => {
      const counter = new UsageCounter('run-purged');
      const use = async (at: number) => {
        counter.count('cred-6', '203.0.113.66', 200, at);
        return (await store.apply(counter.take(), at)).credentials.get('cred-6');
      };
      assert.deepEqual((await use(T0))?.newIps, ['203.0.113.66']);
      assert.deepEqual(await use(T0 + MINUTE), { firstUse: T0, newIps: [], busiestMinute: 1 });
      // Retention's shortest period is an hour after an address's last use.
      const later = T0 + MINUTE + 2 * 60 * MINUTE;
      const removed = await new UsagePurge(database.db).purgeBatch(later - 60 * MINUTE, 1_000);
      assert.ok((removed.usage_ips ?? 0) >= 1);
      assert.deepEqual(await use(later), { firstUse: null, newIps: ['203.0.113.66'], busiestMinute: 1 });
    });

    it('a batch of many credentials counts each exactly once, also when a write fails midway and is retried', async () => {
      const counter = new UsageCounter('run-many');
      const credentials = 2 * CREDENTIALS_PER_CHUNK + 200;
      // Zero-padded, so key order (the order chunks are written in) is numeric order.
      const id = (i: number) => `cred-many-${String(i).padStart(5, '0')}`;
      for (let i = 0; i < credentials; i++) {
        counter.count(id(i), '192.0.2.10', 200, T0 + 1_000);
        counter.count(id(i), `198.51.100.${i % 7}`, i % 3 === 0 ? 503 : 200, T0 + MINUTE + i);
      }
      // The last credential fails every request: the detectors must single it out.
      for (let n = 0; n < 30; n++) counter.count(id(credentials - 1), '192.0.2.10', 500, T0 + MINUTE);
      const batch: UsageBatch = counter.take();
      // A value the database refuses (NOT NULL) in the second chunk: the first chunk commits, then the write fails.
      const failing = batch.credentials.get(id(CREDENTIALS_PER_CHUNK + 5))?.ips.get('192.0.2.10');
      assert.ok(failing);
      const firstSeen = failing.firstSeen;
      failing.firstSeen = Number.NaN;
      await assert.rejects(store.apply(batch, T0 + 2 * MINUTE));
      failing.firstSeen = firstSeen;
      const applied = await store.apply(batch, T0 + 2 * MINUTE);
      assert.equal(applied.applied, true);
      assert.equal(
        applied.credentials.has(id(0)),
        false,
        'the chunk committed before the failure is not reported again',
      );
      assert.deepEqual(applied.credentials.get(id(credentials - 1)), {
        firstUse: null,
        newIps: ['192.0.2.10', `198.51.100.${(credentials - 1) % 7}`],
        busiestMinute: 31,
      });
      assert.equal((await store.apply(batch, T0 + 2 * MINUTE)).applied, false);
      for (const i of [0, CREDENTIALS_PER_CHUNK - 1, CREDENTIALS_PER_CHUNK + 5, credentials - 2]) {
        assert.deepEqual(await store.minutes(id(i), T0, T0 + 2 * MINUTE), [
          { minute: T0, status2xx: 1, status3xx: 0, status4xx: 0, status5xx: 0 },
          {
            minute: T0 + MINUTE,
            status2xx: i % 3 === 0 ? 0 : 1,
            status3xx: 0,
            status4xx: 0,
            status5xx: i % 3 === 0 ? 1 : 0,
          },
        ]);
        assert.deepEqual((await store.ips(id(i))).map((address) => [address.ip, address.count]).sort(), [
          ['192.0.2.10', 1],
          [`198.51.100.${i % 7}`, 1],
        ]);
      }
      const raised: { rule: string; subject: string }[] = [];
      const sink: AlertSink = { raise: ({ rule, subject }) => void raised.push({ rule, subject }) };
      const settings = { ...DEFAULT_USAGE_SETTINGS.detectors, newIp: { enabled: false, learningMs: 0 } };
      await runUsageDetectors({ store, sink, settings, batch, applied, now: T0 + 2 * MINUTE });
      assert.deepEqual(raised, [{ rule: 'error_rate', subject: `credential:${id(credentials - 1)}` }]);
    });

    it('a timeline reads the addresses used in a period, and an access review counts every address and lists the newest', async () => {
      const counter = new UsageCounter('run-review');
      for (let i = 0; i < 8; i++) counter.count('cred-3', `203.0.113.${i}`, 200, T0 + i * MINUTE);
      counter.count('cred-4', '2001:db8::4', 200, T0);
      await store.apply(counter.take(), T0 + 10 * MINUTE);
      const during = await store.ipsBetween('cred-3', {
        since: T0 + 2 * MINUTE,
        until: T0 + 5 * MINUTE,
        limit: 2,
      });
      assert.deepEqual(
        during.map((address) => address.ip),
        ['203.0.113.2', '203.0.113.3'],
      );
      const summaries = await store.addressSummaries(3);
      assert.deepEqual(summaries.get('cred-3'), {
        count: 8,
        recent: [7, 6, 5].map((i) => ({
          ip: `203.0.113.${i}`,
          firstSeen: T0 + i * MINUTE,
          lastSeen: T0 + i * MINUTE,
          count: 1,
        })),
      });
      assert.equal(summaries.get('cred-4')?.count, 1);
      assert.equal(summaries.get('cred-unknown'), undefined);
    });
  });
}
