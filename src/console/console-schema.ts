import type { Kysely, Migration } from 'kysely';

/** A signed-in console session; the browser holds the id, the table only its keyed hash. */
export interface ConsoleSessionTable {
  id_hash: string;
  admin_token_id: string;
  created_at: number;
  last_seen_at: number;
  /** The absolute end, fixed at sign-in. */
  expires_at: number;
}

export interface ConsoleTables {
  console_sessions: ConsoleSessionTable;
}

export const consoleMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('console_sessions')
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      .addColumn('admin_token_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('console_sessions_admin_token_id')
      .on('console_sessions')
      .column('admin_token_id')
      .execute();
    await db.schema
      .createIndex('console_sessions_expires_at')
      .on('console_sessions')
      .column('expires_at')
      .execute();
  },
};
