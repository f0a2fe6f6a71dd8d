import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { uuid7 } from '../db/uuid7.ts';
import { isHttpParserError, parserRefusalOf, writeRawProblem } from '../http/raw-problem.ts';
import { handleError } from './problem-replies.ts';
import { logAdminRequest } from './request-log.ts';
import { adminResponseHeaders } from './response-headers.ts';

/**
 * Fastify's `frameworkErrors` for the admin API: what the router refuses before any route or hook
 * runs (a path that is not valid percent-encoding, an over-long parameter) goes through the one
 * problem+json path, with the usual headers and the usual request log line.
 */
export function answerFrameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  reply.headers(adminResponseHeaders(request.id));
  reply.raw.once('finish', () => logAdminRequest(request, reply));
  handleError(error, request, reply);
}

/**
 * Fastify's `clientErrorHandler` for the admin API: a request Node's HTTP parser refuses (a
 * lowercase method, a broken request line, oversized headers, a timeout) gets problem+json with a
 * request id, like every other admin error, and one log line under that id. The raw bytes are never
 * logged or echoed: they may hold a credential.
 */
export function answerClientError(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  // The https server hands TLS failures (a handshake that times out or fails) to this handler too:
  // nothing HTTP can be written into a handshake that never finished, so the connection just ends.
  if (!isHttpParserError(error)) {
    socket.destroy();
    return;
  }
  const refusal = parserRefusalOf(error);
  const requestId = uuid7();
  this.log.info(
    {
      request_id: requestId,
      status: refusal.status,
      code: refusal.code,
      err_code: error.code ?? error.name,
      ip: (socket as { remoteAddress?: string }).remoteAddress ?? null,
    },
    'admin request refused by the HTTP parser',
  );
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  writeRawProblem(socket, refusal, requestId, adminResponseHeaders(requestId));
}
