import { credentialHint } from '../crypto/key-format.ts';
import type { KeyedHasher } from '../crypto/keyed-hash.ts';
import { uuid7 } from '../db/uuid7.ts';

/** A new secret as a store keeps it: its keyed hash and a short hint, never the secret itself. */
export function hashedSecretRow(secret: string, hasher: KeyedHasher, now: number) {
  return {
    id: uuid7(now),
    secret_hash: hasher.hash(secret),
    hint: credentialHint(secret),
    created_at: now,
    expires_at: null,
  };
}
