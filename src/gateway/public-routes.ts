import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Caller } from './auth-strategy.ts';
import { HSTS, REQUEST_ID_HEADER, sendProblem } from './gateway-response.ts';
import type { PublicRoute, PublicRouteContext } from './public-route.ts';
import type { RequestLogWriter } from './request-endings.ts';
import type { RequestRecord } from './request-log.ts';

/** The public routes of a gateway by path and method, and how one is served. */
export class PublicRoutes {
  readonly #byPath = new Map<string, Map<string, PublicRoute>>();
  readonly #log: RequestLogWriter;
  readonly #logger: Logger;

  constructor(routes: readonly PublicRoute[], log: RequestLogWriter, logger: Logger) {
    this.#log = log;
    this.#logger = logger;
    for (const route of routes) {
      let byMethod = this.#byPath.get(route.path);
      if (!byMethod) {
        byMethod = new Map();
        this.#byPath.set(route.path, byMethod);
      }
      if (byMethod.has(route.method))
        throw new Error(`public route ${route.method} ${route.path} registered twice`);
      byMethod.set(route.method, route);
    }
  }

  /** The route for an exact path (the target up to `pathEnd`, where the query starts), or undefined. */
  find(method: string, target: string, pathEnd: number): PublicRoute | undefined {
    if (this.#byPath.size === 0) return undefined;
    return this.#byPath.get(pathEnd === target.length ? target : target.slice(0, pathEnd))?.get(method);
  }

  /** Runs the route; a throw or rejection becomes a generic 500 whose details go only to the log. */
  serve(
    route: PublicRoute,
    req: IncomingMessage,
    res: ServerResponse,
    record: RequestRecord,
    caller: Caller | null = null,
  ): void {
    record.route = route.path;
    res.setHeader(REQUEST_ID_HEADER, record.requestId);
    res.setHeader('strict-transport-security', HSTS);
    res.once('finish', () => this.#log(record, res.statusCode));
    const context: PublicRouteContext = {
      requestId: record.requestId,
      ip: record.ip,
      caller,
      sendProblem(status, code, detail, extra = {}) {
        record.code = code;
        sendProblem(res, record.requestId, status, code, detail, Object.entries(extra).flat());
      },
    };
    const failed = (error: unknown) => {
      this.#logger.error(
        { err: error, request_id: record.requestId, route: route.path },
        'public route failed',
      );
      if (!res.headersSent)
        context.sendProblem(
          500,
          'internal_error',
          'Something went wrong on our side; quote the request_id to support',
        );
      else res.destroy();
    };
    try {
      const result = route.handle(req, res, context);
      if (result instanceof Promise) result.catch(failed);
    } catch (error) {
      failed(error);
    }
  }
}
