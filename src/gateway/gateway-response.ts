import type { ServerResponse } from 'node:http';
import type { FieldError } from '../http/api-error.ts';
import { PROBLEM_CONTENT_TYPE, problemOf } from '../http/problem.ts';

/** HSTS on every data-path response over TLS (T1): one year, as on the admin API. */
export const HSTS = 'max-age=31536000';

/** The response header carrying the request id; the upstream receives the same id in its request. */
export const REQUEST_ID_HEADER = 'gatehouse-request-id';

/**
 * Ends a request with an RFC 9457 problem document: status, stable `code`, safe text and the request
 * id. `extra` is a flat `[name, value, …]` list (WWW-Authenticate, Retry-After, RateLimit…).
 * `close` asks the client to open a new connection (after a body we refused to read); `errors`
 * names the fields of a body that failed its schema.
 */
export function sendProblem(
  res: ServerResponse,
  requestId: string,
  status: number,
  code: string,
  detail: string,
  extra: readonly string[] | null = null,
  options: { tls?: boolean; close?: boolean; errors?: readonly FieldError[] } = TLS,
): void {
  const body = JSON.stringify(problemOf(status, code, detail, requestId, options.errors));
  const headers = [
    'content-type',
    PROBLEM_CONTENT_TYPE,
    'content-length',
    String(Buffer.byteLength(body)),
    'cache-control',
    'no-store',
    REQUEST_ID_HEADER,
    requestId,
  ];
  if (options.tls !== false) headers.push('strict-transport-security', HSTS);
  if (options.close === true) headers.push('connection', 'close');
  if (extra !== null) for (let i = 0; i < extra.length; i++) headers.push(extra[i] as string);
  res.writeHead(status, headers);
  res.end(body);
}

const TLS = Object.freeze({ tls: true });
