import { randomUUID } from 'node:crypto';
import type { Server as HttpServer, ServerOptions } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { PROBLEM_CONTENT_TYPE, problemOf } from '../http/problem.ts';
import type { TrafficLimits } from './config-file.ts';
import { HSTS } from './gateway-response.ts';
import { closeIdleConnections } from './idle-connections.ts';

/** How often Node checks for requests past `headersTimeout` / `requestTimeout` (its default is 30 s). */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;
/** A connection that moves no bytes for this long is closed (a client that stops reading a response). */
const IDLE_SOCKET_TIMEOUT_MS = 60_000;

/**
 * Server options that bound what one client can hold (T2, slowloris): header size, time to send
 * the headers and the whole request, idle keep-alive time. Past `maxHeadersCount` Node's parser
 * fails with a header overflow, answered below like oversized headers.
 */
export function listenerOptions(limits: TrafficLimits): ServerOptions {
  return {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    requireHostHeader: true,
    noDelay: true,
  };
}

const CLIENT_ERRORS: Record<string, { status: number; code: string; detail: string }> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: 'headers_too_large',
    detail: 'The request has more or larger header fields than accepted',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    code: 'request_timeout',
    detail: 'The request was not received in time',
  },
};
const MALFORMED = { status: 400, code: 'bad_request', detail: 'The request is not valid HTTP' };

/**
 * Applies the limits Node only offers as properties, and answers requests Node refuses before our
 * handler sees them (oversized headers, timeouts, malformed HTTP) with problem+json instead of a
 * bare status line. The raw bytes of such a request are never logged: they may hold a credential.
 */
export function applyListenerLimits(
  server: HttpServer | HttpsServer,
  limits: TrafficLimits,
  logger: Logger,
  tls: boolean,
): void {
  server.maxHeadersCount = limits.maxHeaders + 1;
  closeIdleConnections(server, IDLE_SOCKET_TIMEOUT_MS);
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const known = (error.code !== undefined && CLIENT_ERRORS[error.code]) || MALFORMED;
    logger.debug(
      { component: 'gateway', err_code: error.code ?? error.name, status: known.status },
      'client error',
    );
    // A failed or timed-out TLS handshake (Node's https server reports it here too) has no channel
    // to answer on: what is written would wait for a handshake that never completes.
    if (error.code === 'ECONNRESET' || !socket.writable || isTlsFailure(error)) {
      socket.destroy();
      return;
    }
    const requestId = randomUUID();
    const body = JSON.stringify(problemOf(known.status, known.code, known.detail, requestId));
    socket.end(
      `HTTP/1.1 ${known.status} ${statusText(known.status)}\r\n` +
        `content-type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\n` +
        `gatehouse-request-id: ${requestId}\r\n` +
        (tls ? `strict-transport-security: ${HSTS}\r\n` : '') +
        'connection: close\r\n\r\n' +
        body,
    );
  });
}

function isTlsFailure(error: NodeJS.ErrnoException): boolean {
  return error.code !== undefined && (error.code.startsWith('ERR_TLS_') || error.code.startsWith('ERR_SSL_'));
}

function statusText(status: number): string {
  return status === 431
    ? 'Request Header Fields Too Large'
    : status === 408
      ? 'Request Timeout'
      : 'Bad Request';
}
