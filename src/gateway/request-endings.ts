import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { PROBLEM_CODES, type ProblemCode } from '../http/problem-codes.ts';
import { type RateLimitPolicy, rateLimitField, retryAfterSeconds } from '../rate-limit/rate-limiter.ts';
import type { LimitDecision } from '../rate-limit/token-bucket.ts';
import { sendProblem } from './gateway-response.ts';
import type { RequestRecord } from './request-log.ts';
import type { ProxyOutcome } from './upstream-proxy.ts';

export type RequestLogWriter = (record: RequestRecord, status: number) => void;

/** Every way a data-path request ends other than a public route: each sends once and logs once. */
export interface RequestEndings {
  /**
   * A problem+json refusal at the catalogue's status for `code`; `close` (or a body still unread)
   * ends the connection after it.
   */
  refuse(
    res: ServerResponse,
    record: RequestRecord,
    code: ProblemCode,
    detail: string,
    extra?: readonly string[] | null,
    close?: boolean,
  ): void;
  bodyTooLarge(res: ServerResponse, record: RequestRecord, maxBodyBytes: number): void;
  rateLimited(
    res: ServerResponse,
    record: RequestRecord,
    policy: RateLimitPolicy,
    decision: LimitDecision,
  ): void;
  /** The client went away before an answer: nothing is sent, the log says 499. */
  clientClosed(res: ServerResponse, record: RequestRecord): void;
  /** What the proxy reported: logged as answered, or turned into a 413, 502 or 504. */
  proxied(res: ServerResponse, record: RequestRecord, outcome: ProxyOutcome): void;
}

const TLS_ONLY = Object.freeze({ tls: true });
const CLOSE = Object.freeze({ tls: true, close: true });

export function createRequestEndings(log: RequestLogWriter, logger: Logger): RequestEndings {
  const refuse: RequestEndings['refuse'] = (res, record, code, detail, extra = null, close = false) => {
    const { status } = PROBLEM_CODES[code];
    record.code = code;
    sendProblem(
      res,
      record.requestId,
      status,
      code,
      detail,
      extra,
      close || record.bodyPending ? CLOSE : TLS_ONLY,
    );
    log(record, status);
  };
  const clientClosed: RequestEndings['clientClosed'] = (res, record) => {
    record.code = 'client_closed';
    if (!res.destroyed) res.destroy();
    log(record, 499);
  };
  return {
    refuse,
    clientClosed,
    bodyTooLarge(res, record, maxBodyBytes) {
      refuse(res, record, 'body_too_large', `The body may be at most ${maxBodyBytes} bytes`, null, true);
    },
    rateLimited(res, record, policy, decision) {
      refuse(res, record, 'rate_limited', 'Too many requests; retry after the time in Retry-After', [
        'retry-after',
        retryAfterSeconds(decision),
        'ratelimit-policy',
        policy.header,
        'ratelimit',
        rateLimitField(policy, decision),
      ]);
    },
    proxied(res, record, outcome) {
      if (outcome.ok) {
        record.upstreamStatus = outcome.status;
        log(record, outcome.status);
        return;
      }
      const { failure } = outcome;
      if (failure === 'client_closed') return clientClosed(res, record);
      if (res.headersSent) {
        record.code = `${failure}_mid_response`;
        if (!res.destroyed) res.destroy();
        log(record, res.statusCode);
        return;
      }
      if (failure === 'body_too_large')
        return refuse(
          res,
          record,
          'body_too_large',
          'The body is larger than this endpoint accepts',
          null,
          true,
        );
      logger.warn(
        {
          request_id: record.requestId,
          err_code: (outcome.error as NodeJS.ErrnoException).code ?? outcome.error.name,
          err_message: outcome.error.message,
        },
        'upstream request failed',
      );
      if (failure === 'gateway_timeout')
        refuse(res, record, 'gateway_timeout', 'The upstream service did not answer in time');
      else refuse(res, record, 'bad_gateway', 'The upstream service could not be reached');
    },
  };
}
