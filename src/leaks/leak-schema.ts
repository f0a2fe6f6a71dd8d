import type { Kysely, Migration } from 'kysely';

/**
 * A code host's leak report, by the SHA-256 of its body: claimed before it is answered, so a replay
 * (or a copy arriving at the same time on another instance) is refused.
 */
export interface LeakReportTable {
  digest: string;
  reporter: string;
  tokens: number;
  /** When the current claim was taken. */
  received_at: number;
  /** Null while being answered; a claim left unanswered (a crash) may be taken again. */
  answered_at: number | null;
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
      .addColumn('answered_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('leak_reports_received_at')
      .on('leak_reports')
      .column('received_at')
      .execute();
  },
};
