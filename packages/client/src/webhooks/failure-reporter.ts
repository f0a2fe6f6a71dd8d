import { request } from 'node:https';
import type { WebhookFailureReason } from './verification-error.ts';

export interface SignatureFailureReporterOptions {
  /** The Gatehouse data path, `https://api.example.com`. */
  readonly gatehouseUrl: string;
  /** The integrator's own API key (sent as `X-API-Key`, never logged). */
  readonly apiKey: string;
  /** Extra CA certificates in PEM (a development CA); certificate validation is never turned off. */
  readonly ca?: string | Buffer;
  /** Which receiver saw the failure, e.g. its path; no secrets. */
  readonly endpointHint?: string;
  /** Most reports in flight at once (default 4); more are dropped. */
  readonly maxInFlight?: number;
  /** Most reports per minute (default 60); more are dropped. */
  readonly maxPerMinute?: number;
  readonly timeoutMs?: number;
}

/** Sends one report without waiting for it and without ever throwing. */
export type SignatureFailureReporter = (report: { webhookId: string; reason: WebhookFailureReason }) => void;

const PATH = '/gatehouse/v1/webhooks/signature-failures';

/**
 * Reports signature failures to Gatehouse over the data path with the integrator's key, so the
 * provider's detectors see them (`webhook_signature_failures`). Fire-and-forget and bounded: a slow
 * or absent Gatehouse never slows the receiver, and a flood of forged requests sends a capped number.
 */
export function createSignatureFailureReporter(
  options: SignatureFailureReporterOptions,
): SignatureFailureReporter {
  const url = new URL(PATH, options.gatehouseUrl);
  if (url.protocol !== 'https:') throw new TypeError('gatehouseUrl must be an https:// URL');
  const maxInFlight = options.maxInFlight ?? 4;
  const maxPerMinute = options.maxPerMinute ?? 60;
  const timeoutMs = options.timeoutMs ?? 5000;
  let inFlight = 0;
  let windowStart = 0;
  let sentInWindow = 0;
  return ({ webhookId, reason }) => {
    const now = Date.now();
    if (now - windowStart >= 60_000) {
      windowStart = now;
      sentInWindow = 0;
    }
    if (inFlight >= maxInFlight || sentInWindow >= maxPerMinute) return;
    sentInWindow += 1;
    inFlight += 1;
    const body = JSON.stringify({
      webhook_id: webhookId.slice(0, 256),
      reason,
      ...(options.endpointHint === undefined ? {} : { endpoint_hint: options.endpointHint }),
    });
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      inFlight -= 1;
    };
    try {
      const outgoing = request(
        url,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'x-api-key': options.apiKey,
          },
          timeout: timeoutMs,
          ...(options.ca === undefined ? {} : { ca: options.ca }),
        },
        (response) => {
          response.resume();
          response.on('end', done);
          response.on('error', done);
        },
      );
      outgoing.on('timeout', () => outgoing.destroy());
      outgoing.on('error', done);
      outgoing.on('close', done);
      outgoing.end(body);
    } catch {
      done();
    }
  };
}
