import type { Kysely, Migration } from 'kysely';

/**
 * The time columns each purge selects by, indexed so that a batch's statement reads only the rows
 * it deletes: without them every batch scans the whole table while holding SQLite's write lock.
 * The tables stay their features'; only these indexes are retention's.
 */
const INDEXES: readonly (readonly [name: string, table: string, column: string])[] = [
  ['usage_ips_last_seen', 'usage_ips', 'last_seen'],
  ['usage_batches_applied_at', 'usage_batches', 'applied_at'],
  ['webhook_messages_created_at', 'webhook_messages', 'created_at'],
  ['security_events_created_at', 'security_events', 'created_at'],
  ['alerts_last_seen', 'alerts', 'last_seen'],
  ['alert_deliveries_created_at', 'alert_deliveries', 'created_at'],
  ['idempotency_records_created_at', 'idempotency_records', 'created_at'],
];

export const retentionMigration: Migration = {
  async up(db: Kysely<unknown>) {
    for (const [name, table, column] of INDEXES) {
      await db.schema.createIndex(name).on(table).column(column).execute();
    }
  },
};
