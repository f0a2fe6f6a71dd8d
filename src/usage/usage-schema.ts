import type { Kysely, Migration } from 'kysely';

/** One credential's requests in one UTC minute, by status class. */
export interface UsageMinuteTable {
  credential_id: string;
  /** Milliseconds since the epoch, floored to the minute. */
  minute: number;
  status_2xx: number;
  status_3xx: number;
  status_4xx: number;
  status_5xx: number;
}

/** An address a credential was used from: first and last use, and how many requests. */
export interface UsageIpTable {
  credential_id: string;
  ip: string;
  first_seen: number;
  last_seen: number;
  request_count: number;
}

/** The batches already applied: a retried batch whose commit did land is not added twice. */
export interface UsageBatchTable {
  id: string;
  applied_at: number;
}

export interface UsageTables {
  usage_minutes: UsageMinuteTable;
  usage_ips: UsageIpTable;
  usage_batches: UsageBatchTable;
}

export const usageMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('usage_minutes')
      .addColumn('credential_id', 'text', (c) => c.notNull())
      .addColumn('minute', 'bigint', (c) => c.notNull())
      .addColumn('status_2xx', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('status_3xx', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('status_4xx', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('status_5xx', 'bigint', (c) => c.notNull().defaultTo(0))
      .addPrimaryKeyConstraint('usage_minutes_pk', ['credential_id', 'minute'])
      .execute();
    await db.schema.createIndex('usage_minutes_minute').on('usage_minutes').column('minute').execute();
    await db.schema
      .createTable('usage_ips')
      .addColumn('credential_id', 'text', (c) => c.notNull())
      .addColumn('ip', 'text', (c) => c.notNull())
      .addColumn('first_seen', 'bigint', (c) => c.notNull())
      .addColumn('last_seen', 'bigint', (c) => c.notNull())
      .addColumn('request_count', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('usage_ips_pk', ['credential_id', 'ip'])
      .execute();
    await db.schema
      .createTable('usage_batches')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('applied_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};
