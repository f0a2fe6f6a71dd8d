import type { Kysely, Migration } from 'kysely';

export interface AdminTokenTable {
  id: string;
  name: string;
  role: string;
  token_hash: string;
  hint: string;
  /** 'environment' for the token taken from GATEHOUSE_ADMIN_TOKEN, else null. */
  source: string | null;
  created_at: number;
  created_by: string | null;
  last_used_at: number | null;
  expires_at: number | null;
  revoked_at: number | null;
}

/** A POST's outcome kept under its Idempotency-Key so a retry replays it instead of acting twice (C8). */
export interface IdempotencyRecordTable {
  actor_id: string;
  idempotency_key: string;
  request_hash: string;
  status_code: number | null;
  /** The response, sealed: it may hold a one-time secret. */
  response_sealed: string | null;
  created_at: number;
}

export interface AdminTables {
  admin_tokens: AdminTokenTable;
  idempotency_records: IdempotencyRecordTable;
}

export const adminMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('admin_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('hint', 'text', (c) => c.notNull())
      .addColumn('source', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('created_by', 'text')
      .addColumn('last_used_at', 'bigint')
      .addColumn('expires_at', 'bigint')
      .addColumn('revoked_at', 'bigint')
      .execute();
    await db.schema
      .createTable('idempotency_records')
      .addColumn('actor_id', 'text', (c) => c.notNull())
      .addColumn('idempotency_key', 'text', (c) => c.notNull())
      .addColumn('request_hash', 'text', (c) => c.notNull())
      .addColumn('status_code', 'integer')
      .addColumn('response_sealed', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('idempotency_records_pk', ['actor_id', 'idempotency_key'])
      .execute();
  },
};
