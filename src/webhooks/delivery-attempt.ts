import { type Dispatcher, request } from 'undici';

/** What one HTTP attempt produced: a status, or an error code that names the failure without secrets. */
export interface AttemptResult {
  readonly startedAt: number;
  readonly durationMs: number;
  readonly statusCode: number | null;
  readonly error: string | null;
  /** The start of the response body (at most `KEPT_RESPONSE_BYTES`), or null when empty. */
  readonly responseBody: string | null;
  readonly retryAfter: string | undefined;
  /** The worker stopped mid-attempt: not a verdict on the receiver. */
  readonly aborted: boolean;
}

export const KEPT_RESPONSE_BYTES = 1024;
/** Beyond this the response is not read further and its connection is dropped. */
const DRAINED_RESPONSE_BYTES = 64 * 1024;

/**
 * POSTs one signed delivery and reads at most a little of the answer. `timeoutMs` bounds the whole
 * attempt, connection included; aborting its controller (in `inFlight`) stops it early.
 */
export async function sendDelivery(options: {
  dispatcher: Dispatcher;
  url: string;
  headers: Record<string, string>;
  body: Buffer;
  timeoutMs: number;
  /** Every attempt in flight registers here, so a stopping worker can abort them all. */
  inFlight: Set<AbortController>;
}): Promise<AttemptResult> {
  const startedAt = Date.now();
  const started = performance.now();
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  options.inFlight.add(controller);
  const finish = (fields: Pick<AttemptResult, 'statusCode' | 'error' | 'responseBody' | 'retryAfter'>) => ({
    startedAt,
    durationMs: Math.round(performance.now() - started),
    aborted: controller.signal.aborted && !timedOut,
    ...fields,
  });
  try {
    const response = await request(options.url, {
      method: 'POST',
      dispatcher: options.dispatcher,
      headers: options.headers,
      body: options.body,
      signal: controller.signal,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    const kept: Buffer[] = [];
    let keptBytes = 0;
    let total = 0;
    // Most receivers answer with no body: reading it as a stream would cost an async iterator each.
    if (response.statusCode === 204 || response.headers['content-length'] === '0') await response.body.dump();
    else
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        total += chunk.length;
        if (keptBytes < KEPT_RESPONSE_BYTES) {
          const part = chunk.subarray(0, KEPT_RESPONSE_BYTES - keptBytes);
          kept.push(part);
          keptBytes += part.length;
        }
        if (total > DRAINED_RESPONSE_BYTES) break;
      }
    const retryAfter = response.headers['retry-after'];
    return finish({
      statusCode: response.statusCode,
      error: null,
      responseBody: keptBytes === 0 ? null : Buffer.concat(kept).toString('utf8'),
      retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
    });
  } catch (error) {
    return finish({
      statusCode: null,
      error: timedOut ? 'timeout' : describeFailure(error),
      responseBody: null,
      retryAfter: undefined,
    });
  } finally {
    clearTimeout(timer);
    options.inFlight.delete(controller);
  }
}

const TLS_CODES = /^(CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_TLS_|ERR_SSL_|HOSTNAME_MISMATCH)/;
/** The receiver's certificate chain does not lead to a trusted CA (a private or self-signed one). */
const UNTRUSTED_CA =
  /^(UNABLE_TO_GET_ISSUER_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|CERT_UNTRUSTED)/;
/** No TLS on the other end: usually an http:// receiver on the https:// port. */
const NOT_TLS = /^ERR_SSL_(WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|HTTP_REQUEST)/;

/** A short, stable description of a failed attempt: a kind and a code, a fixed hint for the fixable ones, never data. */
export function describeFailure(error: unknown): string {
  const code = codeOf(error) ?? codeOf((error as { cause?: unknown } | null)?.cause);
  if (code === 'ERR_WEBHOOK_BLOCKED_ADDRESS') return `blocked_address: ${(error as Error).message}`;
  if (code === undefined) return 'network_error';
  if (/TIMEOUT/.test(code)) return 'timeout';
  if (code === 'ECONNREFUSED') return 'connection_refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return 'connection_reset';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return "dns_error: the receiver's host does not resolve";
  if (UNTRUSTED_CA.test(code)) {
    return `tls_error: ${code}; the receiver's certificate is not from a trusted CA: for a private or test CA, set GATEHOUSE_WEBHOOK_CA_FILE to its PEM file`;
  }
  if (NOT_TLS.test(code))
    return `tls_error: ${code}; the receiver does not speak TLS on this port (webhooks are https only)`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH') {
    return `tls_error: ${code}; the receiver's certificate is not for this host name`;
  }
  if (TLS_CODES.test(code)) return `tls_error: ${code}`;
  return `network_error: ${code}`;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{2,60}$/.test(code) ? code : undefined;
}
