import type { Kysely, Migration } from 'kysely';

export interface ApiKeyTable {
  id: string;
  integrator_id: string;
  name: string;
  owner: string | null;
  environment: string;
  scopes_json: string;
  allowed_ips_json: string;
  metadata_json: string;
  expires_at: number | null;
  /** Usage cap: uses left, or null for no cap. */
  usage_remaining: number | null;
  usage_refill_amount: number | null;
  usage_refill_interval: string | null;
  usage_refilled_at: number | null;
  /** Requests per second allowed to this key by the gateway; null uses the gateway default. */
  rate_limit_json: string | null;
  revoked_at: number | null;
  revoked_reason: string | null;
  last_used_at: number | null;
  version: number;
  created_at: number;
  updated_at: number;
}

/** A key has one secret, or two while a rotation's overlap window runs. */
export interface ApiKeySecretTable {
  id: string;
  key_id: string;
  secret_hash: string;
  hint: string;
  created_at: number;
  expires_at: number | null;
}

export interface KeyTables {
  api_keys: ApiKeyTable;
  api_key_secrets: ApiKeySecretTable;
}

export const keysMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('api_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('integrator_id', 'text', (c) => c.notNull().references('integrators.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('owner', 'text')
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('scopes_json', 'text', (c) => c.notNull())
      .addColumn('allowed_ips_json', 'text', (c) => c.notNull())
      .addColumn('metadata_json', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint')
      .addColumn('usage_remaining', 'bigint')
      .addColumn('usage_refill_amount', 'bigint')
      .addColumn('usage_refill_interval', 'text')
      .addColumn('usage_refilled_at', 'bigint')
      .addColumn('rate_limit_json', 'text')
      .addColumn('revoked_at', 'bigint')
      .addColumn('revoked_reason', 'text')
      .addColumn('last_used_at', 'bigint')
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('api_keys_integrator')
      .on('api_keys')
      .columns(['integrator_id', 'id'])
      .execute();
    await db.schema
      .createTable('api_key_secrets')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('key_id', 'text', (c) => c.notNull().references('api_keys.id'))
      .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
      .addColumn('hint', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint')
      .execute();
    await db.schema.createIndex('api_key_secrets_key').on('api_key_secrets').column('key_id').execute();
  },
};

/**
 * The columns a cached key check depends on: a change to one of them must reach every cache
 * (`events/change-generation.ts`). `last_used_at` and the usage counters are not among them.
 */
export const KEY_CACHED_COLUMNS = Object.freeze({
  api_keys: [
    'integrator_id',
    'environment',
    'scopes_json',
    'allowed_ips_json',
    'expires_at',
    'usage_refill_amount',
    'usage_refill_interval',
    'rate_limit_json',
    'revoked_at',
    'version',
  ],
  api_key_secrets: ['key_id', 'secret_hash', 'expires_at'],
});
