import type { Kysely, Migration } from 'kysely';

export interface OAuthClientTable {
  id: string;
  integrator_id: string;
  name: string;
  environment: string;
  scopes_json: string;
  allowed_ips_json: string;
  token_ttl_seconds: number;
  metadata_json: string;
  rate_limit_json: string | null;
  revoked_at: number | null;
  last_used_at: number | null;
  version: number;
  created_at: number;
  updated_at: number;
}

/** A client has one secret, or two while a rotation's overlap window runs. */
export interface OAuthClientSecretTable {
  id: string;
  client_id: string;
  secret_hash: string;
  hint: string;
  created_at: number;
  expires_at: number | null;
}

/** Token signing keys: the private half sealed (P1), the public half published in the JWKS. */
export interface OAuthSigningKeyTable {
  kid: string;
  algorithm: string;
  public_jwk: string;
  private_sealed: string;
  created_at: number;
  /** When a newer key took over; the key stays in the JWKS until every token it signed has expired. */
  retired_at: number | null;
}

/** Revoked access tokens (RFC 7009), kept until they would have expired anyway. */
export interface OAuthRevokedTokenTable {
  jti: string;
  client_id: string;
  expires_at: number;
  revoked_at: number;
}

export interface OAuthTables {
  oauth_clients: OAuthClientTable;
  oauth_client_secrets: OAuthClientSecretTable;
  oauth_signing_keys: OAuthSigningKeyTable;
  oauth_revoked_tokens: OAuthRevokedTokenTable;
}

export const oauthMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('oauth_clients')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('integrator_id', 'text', (c) => c.notNull().references('integrators.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('scopes_json', 'text', (c) => c.notNull())
      .addColumn('allowed_ips_json', 'text', (c) => c.notNull())
      .addColumn('token_ttl_seconds', 'integer', (c) => c.notNull())
      .addColumn('metadata_json', 'text', (c) => c.notNull())
      .addColumn('rate_limit_json', 'text')
      .addColumn('revoked_at', 'bigint')
      .addColumn('last_used_at', 'bigint')
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('oauth_clients_integrator')
      .on('oauth_clients')
      .columns(['integrator_id', 'id'])
      .execute();
    await db.schema
      .createTable('oauth_client_secrets')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('client_id', 'text', (c) => c.notNull().references('oauth_clients.id'))
      .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
      .addColumn('hint', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('oauth_client_secrets_client')
      .on('oauth_client_secrets')
      .column('client_id')
      .execute();
    await db.schema
      .createTable('oauth_signing_keys')
      .addColumn('kid', 'text', (c) => c.primaryKey())
      .addColumn('algorithm', 'text', (c) => c.notNull())
      .addColumn('public_jwk', 'text', (c) => c.notNull())
      .addColumn('private_sealed', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('retired_at', 'bigint')
      .execute();
    await db.schema
      .createTable('oauth_revoked_tokens')
      .addColumn('jti', 'text', (c) => c.primaryKey())
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('oauth_revoked_tokens_revoked_at')
      .on('oauth_revoked_tokens')
      .column('revoked_at')
      .execute();
  },
};

/** The columns a cached client depends on (see `KEY_CACHED_COLUMNS`); not `last_used_at`. */
export const CLIENT_CACHED_COLUMNS = Object.freeze({
  oauth_clients: [
    'integrator_id',
    'environment',
    'scopes_json',
    'allowed_ips_json',
    'token_ttl_seconds',
    'rate_limit_json',
    'revoked_at',
    'version',
  ],
  oauth_client_secrets: ['client_id', 'secret_hash', 'expires_at'],
});
