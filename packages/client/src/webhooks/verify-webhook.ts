import { createHmac, timingSafeEqual, verify } from 'node:crypto';
import { MemoryReplayCache, type ReplayCache } from './replay-cache.ts';
import { importTrustedKeys, type TrustedKeys } from './signing-keys.ts';
import { WebhookVerificationError } from './verification-error.ts';

/** Request headers as node:http gives them (lower-case names) or as a Web `Headers` object. */
export type WebhookHeaders =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

export interface VerifyWebhookOptions {
  /** How far `webhook-timestamp` may be from now, in seconds (default 300). */
  readonly toleranceSeconds?: number;
  /** Ids already accepted; `false` turns replay protection off. Default: one in-memory cache per process. */
  readonly replayCache?: ReplayCache | false;
  /**
   * The simple scheme's header (e.g. `X-Webhook-Signature`): set it only for endpoints created with
   * `signing_scheme: "simple"`. It signs neither id nor timestamp, so only the id is de-duplicated.
   */
  readonly signatureHeader?: string;
  /** The clock, in milliseconds (tests). */
  readonly now?: () => number;
}

/** What a verified delivery carries besides its payload. */
export interface VerifiedWebhook<T = unknown> {
  readonly id: string;
  /** Unix seconds from `webhook-timestamp` (unsigned in the simple scheme). */
  readonly timestamp: number;
  readonly scheme: 'v1' | 'v1a' | 'simple';
  readonly payload: T;
}

const DEFAULT_TOLERANCE_SECONDS = 300;
const processReplayCache = new MemoryReplayCache();

/**
 * Verifies a Gatehouse webhook (Standard Webhooks `v1`, Ed25519 `v1a`, or the simple hex scheme) and
 * returns its parsed JSON payload; throws a `WebhookVerificationError` whose `reason` says why not.
 *
 * @example
 * const event = await verifyWebhook(rawBody, req.headers, process.env.WEBHOOK_SECRET);
 */
export async function verifyWebhook<T = unknown>(
  rawBody: string | Uint8Array,
  headers: WebhookHeaders,
  secrets: string | readonly string[],
  options: VerifyWebhookOptions = {},
): Promise<T> {
  return (await verifyWebhookDelivery<T>(rawBody, headers, importTrustedKeys(secrets), options)).payload;
}

/** `verifyWebhook` with keys imported once and the id and scheme returned beside the payload. */
export async function verifyWebhookDelivery<T = unknown>(
  rawBody: string | Uint8Array,
  headers: WebhookHeaders,
  keys: TrustedKeys,
  options: VerifyWebhookOptions = {},
): Promise<VerifiedWebhook<T>> {
  const body =
    typeof rawBody === 'string'
      ? Buffer.from(rawBody)
      : Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength);
  const nowMs = (options.now ?? Date.now)();
  const toleranceSeconds = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const id = headerOf(headers, 'webhook-id');
  const timestampText = headerOf(headers, 'webhook-timestamp');
  const simple = options.signatureHeader !== undefined;
  const signature = headerOf(headers, simple ? (options.signatureHeader as string) : 'webhook-signature');
  if (!id || !signature || (!simple && !timestampText)) throw new WebhookVerificationError('missing_headers');
  if (id.length > 256 || /[\s.]/.test(id)) throw new WebhookVerificationError('malformed_headers');
  const timestamp = Number(timestampText ?? Number.NaN);
  if (!simple && !/^\d{1,15}$/.test(timestampText as string))
    throw new WebhookVerificationError('malformed_headers');

  let scheme: VerifiedWebhook['scheme'];
  let expiresAt: number;
  if (simple) {
    if (!simpleSignatureMatches(body, signature, keys))
      throw new WebhookVerificationError('invalid_signature');
    scheme = 'simple';
    expiresAt = nowMs + toleranceSeconds * 1000;
  } else {
    const age = nowMs / 1000 - timestamp;
    if (age > toleranceSeconds) throw new WebhookVerificationError('timestamp_too_old');
    if (age < -toleranceSeconds) throw new WebhookVerificationError('timestamp_in_future');
    const matched = standardSignatureMatches(`${id}.${timestampText}.`, body, signature, keys);
    if (!matched) throw new WebhookVerificationError('invalid_signature');
    scheme = matched;
    // After this the timestamp check refuses the message anyway.
    expiresAt = (timestamp + toleranceSeconds) * 1000 + 1000;
  }

  let payload: T;
  try {
    payload = JSON.parse(body.toString('utf8')) as T;
  } catch {
    throw new WebhookVerificationError('malformed_json');
  }
  const cache = options.replayCache === undefined ? processReplayCache : options.replayCache;
  if (cache && !(await cache.remember(replayKey(keys, id), expiresAt))) {
    throw new WebhookVerificationError('replayed');
  }
  return { id, timestamp, scheme, payload };
}

/** The replay-cache key of a delivery: the same message reaches each endpoint with the same id. */
export function replayKey(keys: TrustedKeys, id: string): string {
  return `${keys.tag}:${id}`;
}

function standardSignatureMatches(
  prefix: string,
  body: Buffer,
  header: string,
  keys: TrustedKeys,
): 'v1' | 'v1a' | undefined {
  const signed = Buffer.concat([Buffer.from(prefix), body]);
  const macs = keys.hmac.map((key) => createHmac('sha256', key).update(signed).digest());
  for (const entry of header.split(' ')) {
    const comma = entry.indexOf(',');
    if (comma === -1) continue;
    const version = entry.slice(0, comma);
    const given = Buffer.from(entry.slice(comma + 1), 'base64');
    if (version === 'v1') {
      if (macs.some((mac) => mac.length === given.length && timingSafeEqual(mac, given))) return 'v1';
    } else if (version === 'v1a' && given.length === 64) {
      if (keys.ed25519.some((key) => verify(null, signed, key, given))) return 'v1a';
    }
  }
  return undefined;
}

function simpleSignatureMatches(body: Buffer, header: string, keys: TrustedKeys): boolean {
  const macs = keys.hmac.map((key) => createHmac('sha256', key).update(body).digest());
  return header.split(',').some((value) => {
    const candidate = value.trim().toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(candidate)) return false;
    const given = Buffer.from(candidate, 'hex');
    return macs.some((mac) => timingSafeEqual(mac, given));
  });
}

/** One header's value (repeated values joined with ", " as HTTP does), or undefined. */
export function headerOf(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const record = headers as Record<string, string | readonly string[] | undefined>;
  const lower = name.toLowerCase();
  // node:http lower-cases names; a hand-built record may not.
  const value = record[lower] ?? Object.entries(record).find(([key]) => key.toLowerCase() === lower)?.[1];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.join(', ');
}
