import type { Logger } from 'pino';
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

/**
 * One structured line per data-path request (L1): timestamp, request id, method, route pattern,
 * path (secret-looking query values and credential-shaped strings redacted, L2), status, latency,
 * credential and integrator ids, client IP and user agent. Never a header value, never a body.
 */
export function createRequestLog(logger: Logger): (record: RequestRecord, status: number) => void {
  const log = logger.child({ component: 'gateway' });
  return (record, status) => {
    const { caller } = record;
    log.info(
      {
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
      },
      'gateway request',
    );
  };
}

function userAgentOf(value: string | undefined): string | null {
  if (value === undefined) return null;
  return redactCredentials(value.length > MAX_USER_AGENT ? value.slice(0, MAX_USER_AGENT) : value);
}
