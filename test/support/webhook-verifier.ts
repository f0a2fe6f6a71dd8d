import { createHmac, createPublicKey, timingSafeEqual, verify } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * The receiving side of the signature schemes, written from the Standard Webhooks specification for
 * the tests alone (it shares no code with Gatehouse's signer): what an integrator would implement.
 */
const TOLERANCE_SECONDS = 5 * 60;

function header(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

function freshTimestamp(headers: IncomingHttpHeaders, nowSeconds: number): string | null {
  const timestamp = header(headers, 'webhook-timestamp');
  if (!/^\d+$/.test(timestamp)) return null;
  return Math.abs(nowSeconds - Number(timestamp)) <= TOLERANCE_SECONDS ? timestamp : null;
}

/** `v1`: HMAC-SHA256 keyed with the base64-decoded part of `whsec_…` over `id.timestamp.body`. */
export function verifyStandardWebhook(
  secret: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  const timestamp = freshTimestamp(headers, nowSeconds);
  if (timestamp === null || !secret.startsWith('whsec_')) return false;
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key)
    .update(`${header(headers, 'webhook-id')}.${timestamp}.`)
    .update(body)
    .digest();
  return header(headers, 'webhook-signature')
    .split(' ')
    .some((entry) => {
      const [version, signature] = entry.split(',', 2);
      if (version !== 'v1' || signature === undefined) return false;
      const given = Buffer.from(signature, 'base64');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
}

/** `v1a`: Ed25519 over the same string, checked with the `whpk_…` public key from the endpoint. */
export function verifyEd25519Webhook(
  publicKey: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  const timestamp = freshTimestamp(headers, nowSeconds);
  if (timestamp === null || !publicKey.startsWith('whpk_')) return false;
  // An Ed25519 SubjectPublicKeyInfo is a fixed 12-byte prefix followed by the 32-byte key.
  const spki = Buffer.concat([
    Buffer.from('302a300506032b6570032100', 'hex'),
    Buffer.from(publicKey.slice('whpk_'.length), 'base64'),
  ]);
  const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  const signed = Buffer.concat([Buffer.from(`${header(headers, 'webhook-id')}.${timestamp}.`), body]);
  return header(headers, 'webhook-signature')
    .split(' ')
    .some((entry) => {
      const [version, signature] = entry.split(',', 2);
      return (
        version === 'v1a' &&
        signature !== undefined &&
        verify(null, signed, key, Buffer.from(signature, 'base64'))
      );
    });
}

/** The simple scheme: lower-case hex HMAC-SHA256 of the raw body, one per active secret. */
export function verifySimpleWebhook(secret: string, value: string, body: Buffer): boolean {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(body).digest();
  return value.split(',').some((candidate) => {
    const given = Buffer.from(candidate.trim(), 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
