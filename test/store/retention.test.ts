import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { SYSTEM_CONTEXT } from '../../src/audit/audit-context.ts';
import { createLogger } from '../../src/log/logger.ts';
import type { Config } from '../../src/server/config.ts';
import { createServices, type Services } from '../../src/server/services.ts';
import { logFile } from '../support/artifacts.ts';
import { createTestPostgres, POSTGRES_SKIP_MESSAGE, type TestPostgres } from '../support/postgres.ts';
import { countRows, DAY, NOW, RECENT, seed, snapshot } from '../support/retention-seed.ts';
import { testConfig } from '../support/test-config.ts';

/**
 * The retention purge (P2) on every supported database: rows older than each class's period go,
 * newer ones stay, webhook messages with a delivery still pending stay whatever their age, and a
 * dry run counts exactly what a purge then deletes.
 */
const postgres = await createTestPostgres();
const backends: { name: string; skip: string | false; database: () => TestPostgres | undefined }[] = [
  { name: 'SQLite', skip: false, database: () => undefined },
  { name: 'PostgreSQL', skip: postgres ? false : POSTGRES_SKIP_MESSAGE, database: () => postgres },
];

for (const backend of backends) {
  describe(`the retention purge on ${backend.name}`, { skip: backend.skip }, () => {
    let config: Config;
    let services: Services;

    before(async () => {
      const pg = backend.database();
      config = testConfig({
        ...(pg ? { GATEHOUSE_DATABASE_URL: pg.url.reveal() } : {}),
        GATEHOUSE_RETENTION_AUDIT: '30d',
      });
      services = await createServices(
        config,
        createLogger({ level: 'debug', destination: logFile(`retention-${backend.name}`) }),
      );
    });
    after(async () => {
      await services.close();
      await backend.database()?.drop();
      rmSync(config.dataDir, { recursive: true, force: true });
    });

    it('a dry run reports, per class, the rows older than policy and deletes nothing', async () => {
      const { db } = services.database;
      await seed(db, 'dry', 3);
      const before = await snapshot(db);
      const report = await services.retention.run({ dryRun: true, now: NOW });
      assert.deepEqual(await snapshot(db), before);
      const byClass = new Map(report.classes.map((entry) => [entry.class, entry]));
      assert.deepEqual(byClass.get('USAGE')?.tables, { usage_minutes: 3, usage_ips: 3, usage_batches: 3 });
      // Three finished messages, each with two deliveries and their two attempts; the pending one stays.
      assert.deepEqual(byClass.get('WEBHOOK_PAYLOADS')?.tables, {
        webhook_messages: 3,
        webhook_deliveries: 6,
        webhook_attempts: 6,
      });
      assert.deepEqual(byClass.get('SECURITY_EVENTS')?.tables, { security_events: 3 });
      assert.deepEqual(byClass.get('ALERTS')?.tables, { alerts: 3, alert_deliveries: 3 });
      assert.deepEqual(byClass.get('IDEMPOTENCY')?.tables, { idempotency_records: 3 });
      assert.equal(byClass.get('USAGE')?.outcome, 'would_purge');
      assert.equal(byClass.get('USAGE')?.cutoff, new Date(NOW - 90 * DAY).toISOString());
      assert.deepEqual(byClass.get('AUDIT')?.tables, { audit_log: 0, audit_checkpoints: 0 });
      assert.equal(report.dry_run, true);
      assert.equal(report.rows, 9 + 15 + 3 + 6 + 3);
    });

    it('a purge in small batches removes the rows older than policy in every class and keeps the newer ones and pending deliveries', async () => {
      const { db } = services.database;
      const counted = await services.retention.run({ dryRun: true, now: NOW });
      const report = await services.retention.run({ dryRun: false, now: NOW, batchSize: 2 });
      assert.equal(report.rows, counted.rows);
      for (const entry of report.classes) {
        const dry = counted.classes.find((c) => c.class === entry.class);
        assert.deepEqual(entry.tables, dry?.tables, entry.class);
      }
      // What is left: the recent row of every class, and the old message whose delivery is pending.
      assert.deepEqual(await snapshot(db), {
        usage_minutes: 1,
        usage_ips: 1,
        usage_batches: 1,
        webhook_messages: 2,
        webhook_deliveries: 4,
        webhook_attempts: 4,
        security_events: 1,
        alerts: 1,
        alert_deliveries: 1,
        idempotency_records: 1,
      });
      const pending = await db
        .selectFrom('webhook_deliveries')
        .select('id')
        .where('message_id', '=', 'msg-dry-pending')
        .execute();
      assert.equal(pending.length, 2);
      const again = await services.retention.run({ dryRun: false, now: NOW });
      assert.equal(again.rows, 0);
    });

    it('once its pending delivery has finished, an old message goes with its deliveries and attempts', async () => {
      const { db } = services.database;
      await db
        .updateTable('webhook_deliveries')
        .set({ status: 'succeeded', locked_until: null })
        .where('message_id', '=', 'msg-dry-pending')
        .execute();
      const report = await services.retention.run({ dryRun: false, now: NOW });
      const webhooks = report.classes.find((entry) => entry.class === 'WEBHOOK_PAYLOADS');
      assert.deepEqual(webhooks?.tables, { webhook_messages: 1, webhook_deliveries: 2, webhook_attempts: 2 });
      assert.equal(await countRows(db, 'webhook_messages'), 1);
    });

    it('purges audit entries older than policy only through a signed checkpoint, and the chain still verifies', async () => {
      const { db } = services.database;
      const { audit } = services;
      const append = (at: number, name: string) =>
        db.transaction().execute((trx) =>
          audit.append(
            trx,
            {
              ...SYSTEM_CONTEXT,
              action: 'key.create',
              target: { type: 'api_key', id: name },
              after: { name },
            },
            at,
          ),
        );
      for (let i = 0; i < 3; i++) await append(NOW - 40 * DAY + i, `old-${i}`);
      const checkpoint = await audit.checkpoints.create(db, NOW - 40 * DAY + 10);
      // Older than policy too, but no checkpoint older than the cutoff covers them: they stay.
      for (let i = 0; i < 2; i++) await append(NOW - 35 * DAY + i, `uncovered-${i}`);
      await append(RECENT, 'recent');
      await audit.checkpoints.create(db, RECENT);
      const through = checkpoint?.checkpoint.seq ?? 0;
      const entries = await countRows(db, 'audit_log');

      const dry = await services.retention.run({ dryRun: true, now: NOW });
      const counted = dry.classes.find((entry) => entry.class === 'AUDIT');
      assert.deepEqual(counted?.tables, { audit_log: through, audit_checkpoints: 0 });
      assert.equal(await countRows(db, 'audit_log'), entries);

      const report = await services.retention.run({ dryRun: false, now: NOW });
      const purged = report.classes.find((entry) => entry.class === 'AUDIT');
      assert.deepEqual(purged?.tables, { audit_log: through, audit_checkpoints: 0 });
      // What stays: the entries after the checkpoint, and the audit.purge entry recording the purge.
      assert.equal(await countRows(db, 'audit_log'), entries - through + 1);
      const kept = await db
        .selectFrom('audit_log')
        .select('target_id')
        .where('target_id', 'like', 'uncovered-%')
        .execute();
      assert.equal(kept.length, 2);
      const verified = await audit.verify(db);
      assert.equal(verified.ok, true);
      assert.equal(verified.started_after, through);
    });
  });
}
