import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Caller } from './auth-strategy.ts';
import { readRequestBody } from './request-body.ts';

/** What a public endpoint knows about its request, and how it refuses one. */
export interface PublicRouteContext {
  readonly requestId: string;
  /** The client address, after trusted-proxy resolution. */
  readonly ip: string;
  /** Who is calling, for an `authenticated` route; null for the others. */
  readonly caller: Caller | null;
  /** Ends the request with a problem+json document carrying the request id. */
  sendProblem(status: number, code: string, detail: string, headers?: Readonly<Record<string, string>>): void;
}

/**
 * An endpoint on the data path that is answered by Gatehouse itself, before authentication (OAuth's
 * token, introspection and revocation endpoints, JWKS, server metadata). Matched by exact method
 * and path (the query is ignored). The response already carries HSTS and `Gatehouse-Request-Id`;
 * a thrown error or rejected promise becomes a generic 500 with details only in the log.
 */
export interface PublicRoute {
  readonly method: string;
  readonly path: string;
  /**
   * Served only after the gateway's authentication and per-credential rate limit, like a proxied
   * route but answered by Gatehouse (self-rotation, receivers' reports): the handler gets the caller.
   */
  readonly authenticated?: true;
  handle(req: IncomingMessage, res: ServerResponse, context: PublicRouteContext): void | Promise<void>;
}

const HEALTHY = '{"status":"ok"}';

/** `GET /healthz` → 200 `{"status":"ok"}` (for load balancers; no authentication). */
export const HEALTH_ROUTE: PublicRoute = {
  method: 'GET',
  path: '/healthz',
  handle(_req, res) {
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': 15,
      'cache-control': 'no-store',
    });
    res.end(HEALTHY);
  },
};

/**
 * A public route's whole body, at most `limit` bytes; null once the request is dealt with: past the
 * limit a 413 `body_too_large` that closes the connection, nothing when the client went away.
 */
export async function readRouteBody(
  req: IncomingMessage,
  context: PublicRouteContext,
  limit: number,
  what: string,
): Promise<Buffer | null> {
  const read = await readRequestBody(req, limit);
  if (read.ok) return read.body;
  if (read.reason === 'too_large')
    context.sendProblem(413, 'body_too_large', `${what} may be at most ${limit} bytes`, {
      connection: 'close',
    });
  return null;
}
