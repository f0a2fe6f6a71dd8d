import type { Kysely, Migration } from 'kysely';

export interface SecurityEventTable {
  id: string;
  created_at: number;
  event: string;
  source: string;
  credential_id: string | null;
  integrator_id: string | null;
  ip: string | null;
  details_json: string;
}

export interface MonitorTables {
  security_events: SecurityEventTable;
}

export const monitorMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('security_events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('event', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('credential_id', 'text')
      .addColumn('integrator_id', 'text')
      .addColumn('ip', 'text')
      .addColumn('details_json', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('security_events_event')
      .on('security_events')
      .columns(['event', 'id'])
      .execute();
    await db.schema
      .createIndex('security_events_credential')
      .on('security_events')
      .columns(['credential_id', 'id'])
      .execute();
  },
};
