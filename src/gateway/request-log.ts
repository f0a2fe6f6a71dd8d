import pino, { type Logger } from 'pino';
import { redactCredentials } from '../log/redact-credentials.ts';
import { redactUrl } from '../log/redact-url.ts';
import type { Caller } from './auth-strategy.ts';

/** What the gateway learned about one request while handling it: the raw material of its log line. */
export interface RequestRecord {
  readonly requestId: string;
  readonly started: number;
  readonly method: string;
  readonly target: string;
  readonly ip: string;
  readonly userAgent: string | undefined;
  /** The request declared a body not yet read: a refusal closes the connection rather than read it. */
  readonly bodyPending: boolean;
  route: string | null;
  caller: Caller | null;
  /** Set when a credential was identified but refused. */
  credentialId: string | null;
  integratorId: string | null;
  /** The problem code of a refusal, or of an upstream failure. */
  code: string | null;
  upstreamStatus: number | null;
}

const MAX_USER_AGENT = 256;
const MESSAGE = ',"msg":"gateway request"}\n';

interface PinoInternals {
  [key: symbol]: unknown;
}

/**
 * One structured line per data-path request (L1): timestamp, request id, method, route pattern,
 * path (secret-looking query values and credential-shaped strings redacted, L2), status, latency,
 * credential and integrator ids, client IP and user agent. Never a header value, never a body.
 *
 * The line is exactly what `logger.child({ component: 'gateway' }).info(fields, 'gateway request')`
 * writes, but assembled here from the logger's own level, time and bindings prefixes
 * (`pino.symbols`) with a single JSON.stringify: on the hot path that halves the cost of a line.
 * Every field is built from values that hold no secret, so the root logger's path-based redaction
 * has nothing to do here. `request-log.test.ts` checks the line against pino's own rendering.
 *
 * Lines of requests that finish in the same event-loop turn are written together at the end of it
 * (`setImmediate`): one write to the destination per turn instead of one per request.
 */
export function createRequestLog(logger: Logger): (record: RequestRecord, status: number) => void {
  const child = logger.child({ component: 'gateway' }, { redact: [] });
  const internals = child as unknown as PinoInternals;
  const { lsCacheSym, timeSym, chindingsSym, streamSym } = pino.symbols;
  const levelPrefix = (internals[lsCacheSym] as Record<number, string>)[child.levels.values.info as number];
  const time = internals[timeSym] as () => string;
  const bindings = internals[chindingsSym] as string;
  const stream = internals[streamSym] as { write(line: string): unknown };
  let lastMs = 0;
  let lastTime = '';
  let pending = '';
  const flush = () => {
    const lines = pending;
    pending = '';
    stream.write(lines);
  };
  return (record, status) => {
    if (!child.isLevelEnabled('info')) return;
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      lastTime = time.call(child);
    }
    const { caller } = record;
    const fields = JSON.stringify({
      request_id: record.requestId,
      method: record.method,
      route: record.route,
      path: redactUrl(record.target),
      status,
      latency_ms: Math.round((performance.now() - record.started) * 100) / 100,
      credential_id: caller?.credentialId ?? record.credentialId,
      integrator_id: caller?.integratorId ?? record.integratorId,
      environment: caller?.environment ?? null,
      ip: record.ip,
      user_agent: userAgentOf(record.userAgent),
      code: record.code,
      upstream_status: record.upstreamStatus,
    });
    if (pending === '') setImmediate(flush);
    pending += `${levelPrefix}${lastTime}${bindings},${fields.slice(1, -1)}${MESSAGE}`;
  };
}

function userAgentOf(value: string | undefined): string | null {
  if (value === undefined) return null;
  return redactCredentials(value.length > MAX_USER_AGENT ? value.slice(0, MAX_USER_AGENT) : value);
}
