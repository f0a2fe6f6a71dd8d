import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { Pool } from 'undici';
import type { UpstreamTimeouts } from './config-file.ts';
import { responseHeaders } from './request-headers.ts';

/** How a forwarded request ended, for the request log and for an error response when nothing was sent. */
export type ProxyOutcome =
  | { readonly ok: true; readonly status: number }
  | { readonly ok: false; readonly failure: ProxyFailure; readonly error: Error };

export type ProxyFailure = 'body_too_large' | 'bad_gateway' | 'gateway_timeout' | 'client_closed';

export interface ForwardRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly method: string;
  /** The request target as received (path and query), appended to the upstream's base path. */
  readonly target: string;
  /** Flat `[name, value, …]` list for the upstream. */
  readonly headers: string[];
  /**
   * The request's body: none, streamed as it arrives (`sized` by Content-Length, or `chunked` and
   * counted against `maxBodyBytes`), or already read whole (a route that checked it first).
   */
  readonly body: 'none' | 'sized' | 'chunked' | Buffer;
  readonly maxBodyBytes: number;
  /** Flat list of headers Gatehouse adds to the response (request id, HSTS, RateLimit…). */
  readonly responseHeaders: readonly string[];
  readonly done: (outcome: ProxyOutcome) => void;
}

/** Thrown into the upstream request when a streamed body passes the route's limit. */
export class BodyTooLargeError extends Error {
  constructor() {
    super('request body exceeds the limit');
    this.name = 'BodyTooLargeError';
  }
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * One upstream: a keep-alive undici pool, bodies streamed both ways (`Pool.stream` writes the
 * response straight into the client's `ServerResponse`, no intermediate stream), per-request state
 * passed as `opaque` rather than closures.
 */
export class UpstreamProxy {
  readonly #pool: Pool;
  readonly #basePath: string;

  /** `baseUrl` is normalized (no trailing slash): origin plus an optional base path. */
  constructor(baseUrl: string, timeouts: UpstreamTimeouts, options: { connections?: number } = {}) {
    const url = new URL(baseUrl);
    this.#basePath = url.pathname === '/' ? '' : url.pathname;
    this.#pool = new Pool(url.origin, {
      connections: options.connections ?? 128,
      pipelining: 1,
      keepAliveTimeout: 10_000,
      headersTimeout: timeouts.headersMs,
      bodyTimeout: timeouts.bodyMs,
      connect: { timeout: timeouts.connectMs },
    });
  }

  forward(request: ForwardRequest): void {
    let body: Readable | AsyncIterable<Buffer> | Buffer | null = null;
    if (Buffer.isBuffer(request.body)) body = request.body;
    else if (request.body === 'sized') body = request.req;
    else if (request.body === 'chunked') body = limitBody(request.req, request.maxBodyBytes);
    this.#pool.stream(
      {
        path: this.#basePath === '' ? request.target : this.#basePath + request.target,
        method: request.method as 'GET',
        headers: request.headers,
        body: body as Readable | null,
        opaque: request,
      },
      writeResponseHead,
      streamEnded,
    );
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}

function writeResponseHead(data: {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  opaque: ForwardRequest;
}): ServerResponse {
  const { res } = data.opaque;
  res.writeHead(data.statusCode, responseHeaders(data.headers, data.opaque.responseHeaders));
  return res;
}

function streamEnded(error: Error | null, data: { opaque: ForwardRequest }): void {
  const request = data.opaque;
  if (error === null) {
    request.done({ ok: true, status: request.res.statusCode });
    return;
  }
  request.done({ ok: false, failure: failureOf(error, request), error });
}

function failureOf(error: Error, request: ForwardRequest): ProxyFailure {
  if (error instanceof BodyTooLargeError || error.cause instanceof BodyTooLargeError) return 'body_too_large';
  if (request.req.socket.destroyed) return 'client_closed';
  const code = (error as NodeJS.ErrnoException).code;
  return code !== undefined && TIMEOUT_CODES.has(code) ? 'gateway_timeout' : 'bad_gateway';
}

/** Passes a body of undeclared length through, failing once it grows past `limit` (T2, no buffering). */
async function* limitBody(body: AsyncIterable<Buffer>, limit: number): AsyncIterable<Buffer> {
  let received = 0;
  for await (const chunk of body) {
    received += chunk.length;
    if (received > limit) throw new BodyTooLargeError();
    yield chunk;
  }
}
