import type { Kysely } from 'kysely';
import { credentialHint } from '../crypto/key-format.ts';
import type { KeyedHasher } from '../crypto/keyed-hash.ts';
import type { Schema } from '../db/schema.ts';
import { uuid7 } from '../db/uuid7.ts';

/** The tables holding hashed credential secrets: same columns, a different owner column. */
export type SecretTable =
  | { table: 'api_key_secrets'; owner: 'key_id' }
  | { table: 'oauth_client_secrets'; owner: 'client_id' };

export const KEY_SECRETS: SecretTable = { table: 'api_key_secrets', owner: 'key_id' };
export const CLIENT_SECRETS: SecretTable = { table: 'oauth_client_secrets', owner: 'client_id' };

/** Stores a new secret of a credential as its keyed hash and a short hint; never the secret. */
export async function insertHashedSecret(
  trx: Kysely<Schema>,
  where: SecretTable,
  ownerId: string,
  secret: string,
  hasher: KeyedHasher,
  now: number,
): Promise<void> {
  // Both tables have the same columns but the owner's; the casts name one of them for the types.
  await trx
    .insertInto(where.table as 'api_key_secrets')
    .values({
      id: uuid7(now),
      [where.owner as 'key_id']: ownerId,
      secret_hash: hasher.hash(secret),
      hint: credentialHint(secret),
      created_at: now,
      expires_at: null,
    } as Schema['api_key_secrets'])
    .execute();
}

/**
 * Rotation (K3): the new secret works at once; the secrets in use keep working until `overlapEnd`
 * (never longer than they already would), then stop by themselves.
 */
export async function rotateHashedSecret(
  trx: Kysely<Schema>,
  where: SecretTable,
  ownerId: string,
  secret: string,
  hasher: KeyedHasher,
  now: number,
  overlapEnd: number,
): Promise<void> {
  await trx
    .updateTable(where.table as 'api_key_secrets')
    .set({ expires_at: overlapEnd })
    .where(where.owner as 'key_id', '=', ownerId)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', overlapEnd)]))
    .execute();
  await insertHashedSecret(trx, where, ownerId, secret, hasher, now);
}
