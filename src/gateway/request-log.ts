import type { Logger } from 'pino';
import { createLineWriter, jsonString } from '../log/line-writer.ts';
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

/**
 * One structured line per data-path request (L1): timestamp, request id, method, route pattern,
 * path (secret-looking query values and secret-shaped strings redacted, L2), status, latency,
 * credential and integrator ids, client IP and user agent. Never a header value, never a body.
 *
 * The line is what `logger.child({ component: 'gateway' }).info(fields, 'gateway request')` writes,
 * assembled by `createLineWriter`, past the logger's own redaction. Only the path and the user agent
 * come from the client as they are: they go through `redactSecrets` (`redactUrl`,
 * `userAgentForLog`) and `jsonString`. Every other string is written between quotes unchanged: ids,
 * environments and problem codes are Gatehouse's own, the method is one Node's parser knows, the IP
 * passed `isIP`, and route patterns were checked for their characters when the config was loaded
 * (`pathPatternProblem`). `request-log.test.ts` checks the line against pino's own rendering.
 */
export function createRequestLog(
  logger: Logger,
  observe: RequestObserver | undefined = undefined,
): (record: RequestRecord, status: number) => void {
  const lines = createLineWriter(logger, { component: 'gateway' }, 'gateway request');
  return (record, status) => {
    observe?.(record, status);
    if (!lines.enabled()) return;
    const { caller } = record;
    const latency = Math.round((performance.now() - record.started) * 100) / 100;
    lines.write(
      `,"request_id":"${record.requestId}","method":"${record.method}"` +
        `,"route":${quoted(record.route)},"path":${jsonString(redactUrl(record.target))}` +
        `,"status":${status},"latency_ms":${latency}` +
        `,"credential_id":${quoted(caller?.credentialId ?? record.credentialId)}` +
        `,"integrator_id":${quoted(caller?.integratorId ?? record.integratorId)}` +
        `,"environment":${quoted(caller?.environment ?? null)}` +
        `,"ip":"${record.ip}","user_agent":${jsonString(userAgentForLog(record.userAgent))}` +
        `,"code":${quoted(record.code)}` +
        `,"upstream_status":${record.upstreamStatus}`,
    );
  };
}

/** A string known to need no escaping, or null, as JSON. */
function quoted(value: string | null): string {
  return value === null ? 'null' : `"${value}"`;
}
