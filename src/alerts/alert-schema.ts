import type { Kysely, Migration } from 'kysely';

export interface AlertTable {
  id: string;
  rule: string;
  subject: string;
  status: string;
  count: number;
  first_seen: number;
  last_seen: number;
  event_ids_json: string;
  details_json: string;
  acknowledged_at: number | null;
  acknowledged_by: string | null;
}

export interface AlertSinkTable {
  id: string;
  name: string;
  type: string;
  /** Webhook and Slack URL, or the email recipient. */
  target: string;
  /** The webhook sink's `whsec_` signing key, sealed with the envelope. */
  secret_sealed: string | null;
  enabled: number;
  created_at: number;
  last_error: string | null;
  last_failure_at: number | null;
  last_success_at: number | null;
}

/** The durable outbox: one row per (alert occurrence, sink), retried with backoff until sent. */
export interface AlertDeliveryTable {
  id: string;
  alert_id: string;
  sink_id: string;
  payload_json: string;
  attempts: number;
  next_attempt_at: number;
  status: string;
  created_at: number;
}

export interface AlertTables {
  alerts: AlertTable;
  alert_sinks: AlertSinkTable;
  alert_deliveries: AlertDeliveryTable;
}

export const alertsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('alerts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('rule', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('count', 'integer', (c) => c.notNull())
      .addColumn('first_seen', 'bigint', (c) => c.notNull())
      .addColumn('last_seen', 'bigint', (c) => c.notNull())
      .addColumn('event_ids_json', 'text', (c) => c.notNull())
      .addColumn('details_json', 'text', (c) => c.notNull())
      .addColumn('acknowledged_at', 'bigint')
      .addColumn('acknowledged_by', 'text')
      .execute();
    await db.schema
      .createIndex('alerts_rule_subject')
      .on('alerts')
      .columns(['rule', 'subject', 'last_seen'])
      .execute();
    await db.schema
      .createTable('alert_sinks')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('secret_sealed', 'text')
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_error', 'text')
      .addColumn('last_failure_at', 'bigint')
      .addColumn('last_success_at', 'bigint')
      .execute();
    await db.schema
      .createTable('alert_deliveries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('alert_id', 'text', (c) => c.notNull())
      .addColumn('sink_id', 'text', (c) => c.notNull())
      .addColumn('payload_json', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('alert_deliveries_due')
      .on('alert_deliveries')
      .columns(['status', 'next_attempt_at'])
      .execute();
  },
};
