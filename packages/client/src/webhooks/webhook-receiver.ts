import type { SignatureFailureReporter } from './failure-reporter.ts';
import { IpRateLimiter, type RateLimitOptions } from './rate-limiter.ts';
import { MemoryReplayCache, type ReplayCache } from './replay-cache.ts';
import { importTrustedKeys } from './signing-keys.ts';
import {
  isSignatureFailure,
  type WebhookFailureReason,
  WebhookVerificationError,
} from './verification-error.ts';
import {
  headerOf,
  replayKey,
  type VerifiedWebhook,
  verifyWebhookDelivery,
  type WebhookHeaders,
} from './verify-webhook.ts';

/** One line per request, already redacted: never a secret, a signature or the body. */
export interface WebhookReceipt {
  readonly at: string;
  readonly status: number;
  /** `accepted`, `duplicate`, `handler_failed`, or the refusal's reason. */
  readonly outcome: 'accepted' | 'duplicate' | 'handler_failed' | WebhookFailureReason;
  readonly webhook_id: string | null;
  readonly event_type: string | null;
  readonly ip: string;
  readonly bytes: number;
  readonly duration_ms: number;
}

export interface WebhookReceiverOptions<T = unknown> {
  /** `whsec_…` secrets and/or `whpk_…` public keys; give old and new during a rotation. */
  readonly secrets: string | readonly string[];
  /** Called once per verified, new delivery; a throw answers 500 so Gatehouse retries. */
  readonly onEvent: (event: VerifiedWebhook<T>) => void | Promise<void>;
  readonly toleranceSeconds?: number;
  /** Default: an in-memory cache of this receiver. */
  readonly replayCache?: ReplayCache | false;
  /** Only for endpoints using the simple scheme (see `verifyWebhook`). */
  readonly signatureHeader?: string;
  /** Largest body accepted, in bytes (default 1 MiB); larger is 413. */
  readonly maxBodyBytes?: number;
  /** Per-IP token bucket (default 100 at once, 50/s); `false` turns it off. */
  readonly rateLimit?: RateLimitOptions | false;
  /** A payload check, e.g. a compiled JSON schema: `true`, or what is wrong (→ 422). */
  readonly validate?: (payload: unknown) => true | readonly string[];
  /** Receives one redacted record per request; default one JSON line on stdout; `false`: none. */
  readonly logger?: ((receipt: WebhookReceipt) => void) | false;
  /** Reports signature failures to Gatehouse (`createSignatureFailureReporter`). */
  readonly reportSignatureFailure?: SignatureFailureReporter;
  /** A repeated id is acknowledged with 200 (default, so the sender stops) or refused with 409. */
  readonly duplicates?: 'acknowledge' | 'reject';
  readonly now?: () => number;
}

/** What an adapter hands the receiver: the request, with a body reader that stops at the limit. */
export interface IncomingWebhook {
  readonly method: string;
  readonly headers: WebhookHeaders;
  readonly ip: string;
  /** The raw body, or undefined once it grows past `limit` bytes. */
  readBody(limit: number): Promise<Buffer | undefined>;
}

/** What the adapter sends back. */
export interface WebhookAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** The status of each refusal; the README documents the same table. */
const STATUS_OF: Record<WebhookFailureReason, number> = {
  method_not_allowed: 405,
  rate_limited: 429,
  body_too_large: 413,
  missing_headers: 400,
  malformed_headers: 400,
  malformed_json: 400,
  invalid_signature: 401,
  timestamp_too_old: 401,
  timestamp_in_future: 401,
  replayed: 409,
  invalid_payload: 422,
};

/** The framework-neutral core the adapters share: limits, verification, validation, logging, status. */
export function createWebhookReceiver<T = unknown>(
  options: WebhookReceiverOptions<T>,
): (request: IncomingWebhook) => Promise<WebhookAnswer> {
  const keys = importTrustedKeys(options.secrets);
  const now = options.now ?? Date.now;
  const limiter = options.rateLimit === false ? undefined : new IpRateLimiter(options.rateLimit ?? {}, now);
  const replayCache =
    options.replayCache === undefined ? new MemoryReplayCache({ now }) : options.replayCache;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const log = options.logger === false ? () => {} : (options.logger ?? defaultLogger);
  const verifyOptions = {
    replayCache,
    now,
    ...(options.toleranceSeconds === undefined ? {} : { toleranceSeconds: options.toleranceSeconds }),
    ...(options.signatureHeader === undefined ? {} : { signatureHeader: options.signatureHeader }),
  };

  return async (request) => {
    const started = now();
    let bytes = 0;
    let webhookId: string | null = null;
    let eventType: string | null = null;
    const answer = (status: number, outcome: WebhookReceipt['outcome'], body: object, headers = {}) => {
      safely(() =>
        log({
          at: new Date(started).toISOString(),
          status,
          outcome,
          webhook_id: webhookId,
          event_type: eventType,
          ip: request.ip,
          bytes,
          duration_ms: now() - started,
        }),
      );
      return {
        status,
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      };
    };
    const refuse = (reason: WebhookFailureReason, extra: object = {}, headers = {}) =>
      answer(STATUS_OF[reason], reason, { error: reason, ...extra }, headers);

    try {
      if (request.method !== 'POST') return refuse('method_not_allowed', {}, { allow: 'POST' });
      const wait = limiter?.take(request.ip) ?? 0;
      if (wait > 0) return refuse('rate_limited', {}, { 'retry-after': String(wait) });
      webhookId = (headerOf(request.headers, 'webhook-id') ?? '').slice(0, 256) || null;
      const declared = Number(headerOf(request.headers, 'content-length') ?? 0);
      if (declared > maxBodyBytes) return refuse('body_too_large', {}, { connection: 'close' });
      const body = await request.readBody(maxBodyBytes);
      if (body === undefined) return refuse('body_too_large', {}, { connection: 'close' });
      bytes = body.length;

      let event: VerifiedWebhook<T>;
      try {
        event = await verifyWebhookDelivery<T>(body, request.headers, keys, verifyOptions);
      } catch (error) {
        if (!(error instanceof WebhookVerificationError)) throw error;
        if (isSignatureFailure(error.reason) && webhookId !== null) {
          const id = webhookId;
          safely(() => options.reportSignatureFailure?.({ webhookId: id, reason: error.reason }));
        }
        if (error.reason === 'replayed' && options.duplicates !== 'reject') {
          return answer(200, 'duplicate', { status: 'duplicate' });
        }
        return refuse(error.reason);
      }
      const type = (event.payload as { type?: unknown } | null)?.type;
      eventType = typeof type === 'string' ? type.slice(0, 200) : null;

      const verdict = options.validate ? options.validate(event.payload) : true;
      if (verdict !== true) {
        if (replayCache) await replayCache.forget(replayKey(keys, event.id));
        return refuse('invalid_payload', { errors: verdict.slice(0, 20) });
      }
      try {
        await options.onEvent(event);
      } catch {
        if (replayCache) await replayCache.forget(replayKey(keys, event.id));
        return answer(500, 'handler_failed', { error: 'handler_failed' });
      }
      return answer(200, 'accepted', { status: 'accepted' });
    } catch {
      return answer(500, 'handler_failed', { error: 'internal_error' });
    }
  };
}

function defaultLogger(receipt: WebhookReceipt): void {
  process.stdout.write(`${JSON.stringify({ msg: 'webhook received', ...receipt })}\n`);
}

function safely(action: () => void): void {
  try {
    action();
  } catch {
    // A logger or reporter that throws must not change the answer.
  }
}
