import { createHash, createPublicKey, type JsonWebKey, type KeyObject, sign, verify } from 'node:crypto';
import type { AuditEntry } from './audit-entry.ts';

/**
 * What a signed checkpoint commits to, and how anyone holding only the public key checks it. Pure
 * functions with no storage: the server signs with them and the offline verifier (`gatehouse audit
 * verify --file`) checks with them, so both always agree on the bytes.
 *
 * The entries' own `hash` is an HMAC under the server's pepper, which an auditor does not hold. So
 * each checkpoint also signs a public digest chain: `entry_digest` is SHA-256 of one entry's fields
 * (its `prev_hash` and `hash` included), and `digest` chains those from the start of the log.
 */

/** The digest chain's value before the first entry. */
export const GENESIS_DIGEST = 'genesis';
export const CHECKPOINT_ALGORITHM = 'Ed25519';
const PAYLOAD_LABEL = 'gatehouse-audit-checkpoint/1';

/** The action of the entry that records removing every entry up to a checkpoint. */
export const PURGE_ACTION = 'audit.purge';

/** A signed checkpoint of the chain head, as the admin API and an export carry it. */
export interface AuditCheckpoint {
  /** The sequence number of the newest entry it covers. */
  seq: number;
  entry_id: string;
  /** That entry's chain hash (the HMAC link), where a verifier resumes after a purge. */
  hash: string;
  /** The public digest chain through that entry. */
  digest: string;
  time: string;
  key_id: string;
  /** Ed25519 over `checkpointPayload`, base64url. */
  signature: string;
}

export type UnsignedCheckpoint = Omit<AuditCheckpoint, 'signature'>;

/** SHA-256 of every field of one entry, base64url. */
export function entryDigest(entry: AuditEntry): string {
  const fields = [
    entry.seq,
    entry.id,
    entry.time,
    entry.actor.type,
    entry.actor.id,
    entry.actor.name,
    entry.action,
    entry.target.type,
    entry.target.id,
    JSON.stringify(entry.before ?? null),
    JSON.stringify(entry.after ?? null),
    entry.ip,
    entry.request_id,
    entry.prev_hash,
    entry.hash,
  ];
  return createHash('sha256').update(JSON.stringify(fields)).digest('base64url');
}

/** The digest chain after one more entry. */
export function chainDigest(previous: string, entryDigestValue: string): string {
  return createHash('sha256')
    .update(JSON.stringify([previous, entryDigestValue]))
    .digest('base64url');
}

/** The exact bytes a checkpoint's signature covers. */
export function checkpointPayload(checkpoint: UnsignedCheckpoint): Buffer {
  return Buffer.from(
    JSON.stringify([
      PAYLOAD_LABEL,
      checkpoint.seq,
      checkpoint.entry_id,
      checkpoint.hash,
      checkpoint.digest,
      checkpoint.time,
      checkpoint.key_id,
    ]),
  );
}

export function signCheckpoint(privateKey: KeyObject, checkpoint: UnsignedCheckpoint): AuditCheckpoint {
  const signature = sign(null, checkpointPayload(checkpoint), privateKey).toString('base64url');
  return { ...checkpoint, signature };
}

/** True when `checkpoint` was signed by the private half of `publicKey` and names that key. */
export function checkpointSignatureValid(publicKey: KeyObject, checkpoint: AuditCheckpoint): boolean {
  if (checkpoint.key_id !== auditKeyId(publicKey)) return false;
  try {
    return verify(
      null,
      checkpointPayload(checkpoint),
      publicKey,
      Buffer.from(checkpoint.signature, 'base64url'),
    );
  } catch {
    return false;
  }
}

/** The key's RFC 7638 JWK thumbprint, which every checkpoint names as its `key_id`. */
export function auditKeyId(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x });
  return createHash('sha256').update(canonical).digest('base64url');
}

/** Reads an Ed25519 public key from PEM (SPKI) or a JWK in JSON; throws a readable error otherwise. */
export function readAuditPublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  let key: KeyObject;
  try {
    key = trimmed.startsWith('{')
      ? createPublicKey({ key: JSON.parse(trimmed) as JsonWebKey, format: 'jwk' })
      : createPublicKey(trimmed);
  } catch {
    throw new Error('the public key is neither a PEM public key nor a JWK');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('the audit public key must be an Ed25519 key');
  return key;
}

/** The checkpoint an `audit.purge` entry says every earlier entry was removed up to, if it is one. */
export function purgedThrough(entry: Pick<AuditEntry, 'action' | 'after'>): number | undefined {
  if (entry.action !== PURGE_ACTION) return undefined;
  const through = (entry.after as { through_seq?: unknown } | null)?.through_seq;
  return typeof through === 'number' ? through : undefined;
}
