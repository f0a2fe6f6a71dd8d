import { createHmac, type KeyObject, sign, verify } from 'node:crypto';
import { digestsEqual } from '../crypto/constant-time.ts';

/**
 * Standard Webhooks signatures: `v1,<base64 HMAC-SHA256>` or `v1a,<base64 Ed25519>` over
 * `{webhook-id}.{webhook-timestamp}.{body}`. Several space-separated signatures are sent while a
 * secret rotation's overlap runs; a receiver accepts the request if any one of them verifies.
 */
export interface SignedContent {
  /** `webhook-id`: the message id, the same on every retry. */
  readonly id: string;
  /** `webhook-timestamp`: Unix seconds of this attempt. */
  readonly timestamp: number;
  /** The exact bytes of the request body. */
  readonly body: Uint8Array | string;
}

export function signV1(key: KeyObject, content: SignedContent): string {
  return `v1,${hmacOf(key, content).toString('base64')}`;
}

export function signV1a(privateKey: KeyObject, content: SignedContent): string {
  return `v1a,${sign(null, signedBytes(content), privateKey).toString('base64')}`;
}

export type VerifyFailure = 'malformed' | 'stale_timestamp' | 'no_matching_signature';

export interface VerifyOptions {
  /** HMAC keys and Ed25519 public keys the receiver trusts. */
  readonly hmacKeys?: readonly KeyObject[];
  readonly publicKeys?: readonly KeyObject[];
  /** Unix seconds; defaults to now. */
  readonly now?: number;
  /** How far the timestamp may be from now, in seconds (default 300). */
  readonly toleranceSeconds?: number;
}

/** Checks a `webhook-signature` header against trusted keys; HMACs are compared in constant time. */
export function verifyStandardSignature(
  content: SignedContent,
  header: string,
  options: VerifyOptions,
): { ok: true } | { ok: false; reason: VerifyFailure } {
  if (!Number.isSafeInteger(content.timestamp) || /[.]/.test(content.id))
    return { ok: false, reason: 'malformed' };
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - content.timestamp) > (options.toleranceSeconds ?? 300)) {
    return { ok: false, reason: 'stale_timestamp' };
  }
  const bytes = signedBytes(content);
  for (const entry of header.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma === -1) continue;
    const version = entry.slice(0, comma);
    const signature = Buffer.from(entry.slice(comma + 1), 'base64');
    if (version === 'v1') {
      for (const key of options.hmacKeys ?? []) {
        if (digestsEqual(signature, createHmac('sha256', key).update(bytes).digest())) return { ok: true };
      }
    } else if (version === 'v1a' && signature.length === 64) {
      for (const key of options.publicKeys ?? []) {
        if (verify(null, bytes, key, signature)) return { ok: true };
      }
    }
  }
  return { ok: false, reason: 'no_matching_signature' };
}

function hmacOf(key: KeyObject, content: SignedContent): Buffer {
  return createHmac('sha256', key)
    .update(`${content.id}.${content.timestamp}.`)
    .update(content.body)
    .digest();
}

function signedBytes(content: SignedContent): Buffer {
  return Buffer.concat([Buffer.from(`${content.id}.${content.timestamp}.`), Buffer.from(content.body)]);
}
