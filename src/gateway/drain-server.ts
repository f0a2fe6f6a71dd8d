import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';

/** How long a closing listener waits for requests in flight before it cuts their connections. */
export const DRAIN_TIMEOUT_MS = 10_000;
/** How often a draining listener closes the connections whose last request has finished. */
const IDLE_SWEEP_MS = 50;

/**
 * Stops a listener without cutting requests in flight: it accepts no new connection, answers
 * every further request on an open connection with `Connection: close`, closes each connection
 * once it is idle, and after `timeoutMs` closes whatever is left. Resolves when every connection
 * is closed. (Node's `server.close()` alone keeps serving keep-alive connections until they time
 * out, and `closeAllConnections()` alone cuts responses half-way.)
 */
export function drainServer(server: HttpServer | HttpsServer, timeoutMs = DRAIN_TIMEOUT_MS): Promise<void> {
  if (!server.listening) return Promise.resolve();
  server.prependListener('request', lastOnItsConnection);
  // Only where a handler answers Expect: 100-continue itself; without one Node continues on its own.
  if (server.listenerCount('checkContinue') > 0) server.prependListener('checkContinue', lastOnItsConnection);
  return new Promise((resolve) => {
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    const deadline = setTimeout(() => server.closeAllConnections(), timeoutMs);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(deadline);
      resolve();
    });
  });
}

function lastOnItsConnection(_req: IncomingMessage, res: ServerResponse): void {
  res.shouldKeepAlive = false;
}
