import { randomUUID } from 'node:crypto';
import type { Server as HttpServer, ServerOptions } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { isHttpParserError, parserRefusalOf, writeRawProblem } from '../http/raw-problem.ts';
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
    const refusal = parserRefusalOf(error);
    logger.debug(
      { component: 'gateway', err_code: error.code ?? error.name, status: refusal.status },
      'client error',
    );
    // A failed or timed-out TLS handshake (Node's https server reports it here too) has no channel
    // to answer on: what is written would wait for a handshake that never completes.
    if (error.code === 'ECONNRESET' || !socket.writable || !isHttpParserError(error)) {
      socket.destroy();
      return;
    }
    const requestId = randomUUID();
    writeRawProblem(socket, refusal, requestId, {
      'gatehouse-request-id': requestId,
      ...(tls ? { 'strict-transport-security': HSTS } : {}),
    });
  });
}
