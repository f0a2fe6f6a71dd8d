import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { SYSTEM_CONTEXT } from '../../src/audit/audit-context.ts';
import type { Schema } from '../../src/db/schema.ts';
import { createLogger } from '../../src/log/logger.ts';
import type { Config } from '../../src/server/config.ts';
import { createServices, type Services } from '../../src/server/services.ts';
import { logFile } from '../support/artifacts.ts';
import { createTestPostgres, POSTGRES_SKIP_MESSAGE, type TestPostgres } from '../support/postgres.ts';
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

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1);
// The defaults: usage 90d, webhook payloads 30d, security events 365d, alerts 365d, idempotency 1d.
const OLD = {
  usage: NOW - 91 * DAY,
  webhooks: NOW - 31 * DAY,
  events: NOW - 366 * DAY,
  alerts: NOW - 366 * DAY,
  idempotency: NOW - 2 * DAY,
};
const RECENT = NOW - 3_600_000;

/** Seeds `count` old rows and one recent row in every class; `tag` keeps seeds apart. */
async function seed(db: Kysely<Schema>, tag: string, count: number): Promise<void> {
  await db
    .insertInto('integrators')
    .values({
      id: `int-${tag}`,
      name: tag,
      email: null,
      metadata_json: '{}',
      status: 'active',
      version: 1,
      created_at: 0,
      updated_at: 0,
    })
    .execute();
  await db
    .insertInto('webhook_endpoints')
    .values({
      id: `ep-${tag}`,
      integrator_id: `int-${tag}`,
      environment: 'production',
      url: 'https://receiver.example/hook',
      description: '',
      event_types_json: '[]',
      enabled: 1,
      disabled_reason: null,
      signing_scheme: 'standard',
      signature_header: null,
      metadata_json: '{}',
      failing_since: null,
      version: 1,
      created_at: 0,
      updated_at: 0,
    })
    .execute();
  const times = [...Array.from({ length: count }, () => 'old' as const), 'new' as const];
  for (const [i, age] of times.entries()) {
    const id = `${tag}-${age}-${i}`;
    const at = (old: number) => (age === 'old' ? old - i * 1000 : RECENT);
    await db
      .insertInto('usage_minutes')
      .values({
        credential_id: `cred-${tag}`,
        minute: at(OLD.usage),
        status_2xx: 1,
        status_3xx: 0,
        status_4xx: 0,
        status_5xx: 0,
      })
      .execute();
    await db
      .insertInto('usage_ips')
      .values({
        credential_id: `cred-${tag}`,
        ip: `192.0.2.${i}`,
        first_seen: at(OLD.usage),
        last_seen: at(OLD.usage),
        request_count: 1,
      })
      .execute();
    await db
      .insertInto('usage_batches')
      .values({ id, applied_at: at(OLD.usage) })
      .execute();
    await seedWebhook(db, tag, id, at(OLD.webhooks), 'succeeded');
    await db
      .insertInto('security_events')
      .values({
        id,
        created_at: at(OLD.events),
        event: 'auth_failure',
        source: 'test',
        credential_id: null,
        integrator_id: null,
        ip: null,
        details_json: '{}',
      })
      .execute();
    await db
      .insertInto('alerts')
      .values({
        id,
        rule: 'auth_failures',
        subject: id,
        status: 'open',
        count: 1,
        first_seen: at(OLD.alerts),
        last_seen: at(OLD.alerts),
        event_ids_json: '[]',
        details_json: '{}',
        acknowledged_at: null,
        acknowledged_by: null,
      })
      .execute();
    await db
      .insertInto('alert_deliveries')
      .values({
        id,
        alert_id: id,
        sink_id: 'sink',
        payload_json: '{}',
        attempts: 1,
        next_attempt_at: 0,
        status: 'delivered',
        created_at: at(OLD.alerts),
      })
      .execute();
    await db
      .insertInto('idempotency_records')
      .values({
        actor_id: `actor-${tag}`,
        idempotency_key: id,
        request_hash: 'h',
        status_code: 201,
        response_sealed: null,
        created_at: at(OLD.idempotency),
      })
      .execute();
  }
  // Old, but one of its deliveries is still pending (leased by a worker): it stays.
  await seedWebhook(db, tag, `${tag}-pending`, OLD.webhooks, 'pending');
}

async function seedWebhook(
  db: Kysely<Schema>,
  tag: string,
  id: string,
  at: number,
  status: string,
): Promise<void> {
  await db
    .insertInto('webhook_messages')
    .values({
      id: `msg-${id}`,
      integrator_id: `int-${tag}`,
      environment: 'production',
      event_type: 'test.event',
      payload_sealed: 'x',
      created_at: at,
    })
    .execute();
  for (const [n, deliveryStatus] of [status, 'failed'].entries()) {
    const delivery = `del-${id}-${n}`;
    await db
      .insertInto('webhook_deliveries')
      .values({
        id: delivery,
        message_id: `msg-${id}`,
        endpoint_id: `ep-${tag}`,
        integrator_id: `int-${tag}`,
        status: deliveryStatus,
        attempts: 1,
        retry_step: 1,
        next_attempt_at: at,
        locked_until: deliveryStatus === 'pending' ? NOW + 60_000 : null,
        last_attempt_at: at,
        last_status_code: 500,
        last_error: null,
        created_at: at,
        updated_at: at,
      })
      .execute();
    await db
      .insertInto('webhook_attempts')
      .values({
        id: `att-${delivery}`,
        delivery_id: delivery,
        message_id: `msg-${id}`,
        endpoint_id: `ep-${tag}`,
        attempt: 1,
        started_at: at,
        duration_ms: 5,
        status_code: 500,
        error: null,
        response_sealed: null,
      })
      .execute();
  }
}

async function countRows(db: Kysely<Schema>, table: keyof Schema): Promise<number> {
  const row = await db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

const TABLES = [
  'usage_minutes',
  'usage_ips',
  'usage_batches',
  'webhook_messages',
  'webhook_deliveries',
  'webhook_attempts',
  'security_events',
  'alerts',
  'alert_deliveries',
  'idempotency_records',
] as const;

async function snapshot(db: Kysely<Schema>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of TABLES) counts[table] = await countRows(db, table);
  return counts;
}

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
        db
          .transaction()
          .execute((trx) =>
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
