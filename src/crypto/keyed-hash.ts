import { createHmac, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import type { Secret } from './secret.ts';

/** HMAC-SHA256 under a server-side pepper; the stored form of every credential secret (K1). */
export interface KeyedHasher {
  /** The 32-byte digest of `value`. */
  digest(value: string): Buffer;
  /** The digest as base64url, the form kept in the database. */
  hash(value: string): string;
}

/** Builds a hasher whose key is imported once as a `KeyObject` (several times faster than a Buffer key). */
export function createKeyedHasher(pepper: Secret, purpose: string): KeyedHasher {
  const key = deriveKey(pepper, purpose);
  const digest = (value: string) => createHmac('sha256', key).update(value).digest();
  return { digest, hash: (value) => digest(value).toString('base64url') };
}

/** Derives an independent 256-bit key for one purpose from the pepper (HKDF-SHA256). */
export function deriveKey(pepper: Secret, purpose: string): KeyObject {
  const bytes = hkdfSync('sha256', pepper.reveal(), 'gatehouse', purpose, 32);
  return createSecretKey(Buffer.from(bytes));
}
