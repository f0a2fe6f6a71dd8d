import type { Kysely } from 'kysely';
import type { Schema } from '../../src/db/schema.ts';

/** Rows of every retention class, old and recent, inserted directly (`test/store/retention.test.ts`). */
export const DAY = 86_400_000;
export const NOW = Date.UTC(2026, 5, 1);
// The defaults: usage 90d, webhook payloads 30d, security events 365d, alerts 365d, idempotency 1d.
const OLD = {
  usage: NOW - 91 * DAY,
  webhooks: NOW - 31 * DAY,
  events: NOW - 366 * DAY,
  alerts: NOW - 366 * DAY,
  idempotency: NOW - 2 * DAY,
};
export const RECENT = NOW - 3_600_000;

/** Seeds `count` old rows and one recent row in every class; `tag` keeps seeds apart. */
export async function seed(db: Kysely<Schema>, tag: string, count: number): Promise<void> {
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

export async function countRows(db: Kysely<Schema>, table: keyof Schema): Promise<number> {
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

export async function snapshot(db: Kysely<Schema>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of TABLES) counts[table] = await countRows(db, table);
  return counts;
}
