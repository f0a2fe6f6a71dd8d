import type { Kysely, Migration } from 'kysely';

/** A code host's leak report already answered, by the SHA-256 of its body: a replay is refused. */
export interface LeakReportTable {
  digest: string;
  reporter: string;
  tokens: number;
  received_at: number;
}

export interface LeakTables {
  leak_reports: LeakReportTable;
}

export const leaksMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('leak_reports')
      .addColumn('digest', 'text', (c) => c.primaryKey())
      .addColumn('reporter', 'text', (c) => c.notNull())
      .addColumn('tokens', 'integer', (c) => c.notNull())
      .addColumn('received_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('leak_reports_received_at')
      .on('leak_reports')
      .column('received_at')
      .execute();
  },
};
