import pino, { type Logger } from 'pino';
import { redactUrl } from '../log/redact-url.ts';
import { userAgentForLog } from '../log/user-agent.ts';
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
  bodyPending: boolean;
  route: string | null;
  caller: Caller | null;
  /** Set when a credential was identified but refused. */
  credentialId: string | null;
  integratorId: string | null;
  /** The problem code of a refusal, or of an upstream failure. */
  code: string | null;
  upstreamStatus: number | null;
}

/** Told of each ended data-path request with its status, before its log line (usage records, metrics). */
export type RequestObserver = (record: RequestRecord, status: number) => void;

const MESSAGE = ',"msg":"gateway request"}\n';

interface PinoInternals {
  [key: symbol]: unknown;
}

/**
 * One structured line per data-path request (L1): timestamp, request id, method, route pattern,
 * path (secret-looking query values and secret-shaped strings redacted, L2), status, latency,
 * credential and integrator ids, client IP and user agent. Never a header value, never a body.
 *
 * The line is exactly what `logger.child({ component: 'gateway' }).info(fields, 'gateway request')`
 * writes, but assembled here from the logger's own level, time and bindings prefixes
 * (`pino.symbols`) as one template string: JSON.stringify of the fields was the largest single
 * cost of a proxied request (measured in instructions under callgrind). Only the path and the user
 * agent come from the client as they are; they go through `jsonString`. Every other string is
 * written between quotes unchanged: ids, environments and problem codes are Gatehouse's own, the
 * method is one Node's parser knows, the IP passed `isIP`, and route patterns were checked for
 * their characters when the config was loaded (`pathPatternProblem`). The line goes to the stream
 * directly, past the logger's own redaction, so the two client strings go through the same
 * `redactSecrets` here (`redactUrl`, `userAgentForLog`); every other field holds no secret.
 * `request-log.test.ts` checks the line against pino's own rendering.
 *
 * Lines of requests that finish in the same event-loop turn are written together at the end of it
 * (`setImmediate`): one write to the destination per turn instead of one per request.
 */
export function createRequestLog(
  logger: Logger,
  observe: RequestObserver | undefined = undefined,
): (record: RequestRecord, status: number) => void {
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
    observe?.(record, status);
    if (!child.isLevelEnabled('info')) return;
    const now = Date.now();
    if (now !== lastMs) {
      lastMs = now;
      lastTime = time.call(child);
    }
    const { caller } = record;
    const latency = Math.round((performance.now() - record.started) * 100) / 100;
    const line =
      `${levelPrefix}${lastTime}${bindings}` +
      `,"request_id":"${record.requestId}","method":"${record.method}"` +
      `,"route":${quoted(record.route)},"path":${jsonString(redactUrl(record.target))}` +
      `,"status":${status},"latency_ms":${latency}` +
      `,"credential_id":${quoted(caller?.credentialId ?? record.credentialId)}` +
      `,"integrator_id":${quoted(caller?.integratorId ?? record.integratorId)}` +
      `,"environment":${quoted(caller?.environment ?? null)}` +
      `,"ip":"${record.ip}","user_agent":${jsonString(userAgentForLog(record.userAgent))}` +
      `,"code":${quoted(record.code)}` +
      `,"upstream_status":${record.upstreamStatus}${MESSAGE}`;
    if (pending === '') setImmediate(flush);
    pending += line;
  };
}

/** Characters JSON copies unescaped: printable ASCII except `"` and backslash. */
const PLAIN_JSON = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** `JSON.stringify(value)` for a string or null, without its cost for the usual plain string. */
export function jsonString(value: string | null): string {
  if (value === null) return 'null';
  return PLAIN_JSON.test(value) ? `"${value}"` : JSON.stringify(value);
}

/** A string known to need no escaping, or null, as JSON. */
function quoted(value: string | null): string {
  return value === null ? 'null' : `"${value}"`;
}
