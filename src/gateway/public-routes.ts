import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Caller } from './auth-strategy.ts';
import { HSTS, REQUEST_ID_HEADER, sendProblem } from './gateway-response.ts';
import type { PublicRoute, PublicRouteContext } from './public-route.ts';
import type { RequestLogWriter } from './request-endings.ts';
import type { RequestRecord } from './request-log.ts';

/** A path Gatehouse answers itself, asked with a method it does not serve: 405 with `Allow`. */
export interface WrongMethod {
  readonly kind: 'wrong_method';
  readonly allow: string;
}

/** A path under Gatehouse's own prefix that names no endpoint: 404, never proxied. */
export interface ReservedPath {
  readonly kind: 'reserved_path';
}

const RESERVED_SEGMENT = 'gatehouse';
const RESERVED_PATH: ReservedPath = Object.freeze({ kind: 'reserved_path' });

/** The public routes of a gateway by path and method, and how one is served. */
export class PublicRoutes {
  readonly #byPath = new Map<string, Map<string, PublicRoute>>();
  readonly #wrongMethod = new Map<string, WrongMethod>();
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
    for (const [path, byMethod] of this.#byPath) {
      // A GET endpoint answers HEAD too (load balancers probe /healthz with HEAD); Node sends no body.
      if (byMethod.has('GET') && !byMethod.has('HEAD'))
        byMethod.set('HEAD', byMethod.get('GET') as PublicRoute);
      this.#wrongMethod.set(
        path,
        Object.freeze({ kind: 'wrong_method', allow: [...byMethod.keys()].join(', ') }),
      );
    }
  }

  /**
   * What answers a request for the target up to `pathEnd` (where the query starts): its public route;
   * a refusal for a public path asked with another method, or for an unknown path under
   * `/gatehouse/` in any spelling (`underReservedPrefix`); undefined for everything else (the route table's business). Public paths
   * match exactly, as the OAuth metadata advertises them.
   */
  find(
    method: string,
    target: string,
    pathEnd: number,
  ): PublicRoute | WrongMethod | ReservedPath | undefined {
    const path = pathEnd === target.length ? target : target.slice(0, pathEnd);
    const byMethod = this.#byPath.get(path);
    if (byMethod !== undefined) return byMethod.get(method) ?? this.#wrongMethod.get(path);
    if (underReservedPrefix(path)) return RESERVED_PATH;
    return undefined;
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

/**
 * `path`'s first segment reads as `gatehouse` to some server: in any letter case (Unicode folding
 * too: `ſ` is an `s`), percent-encoded, with `;` parameters or a `:` stream name (`::$DATA`), or
 * with trailing dots or spaces (Windows drops them). The bare `/gatehouse` counts too. Allocates
 * only for paths whose first segment can start with a `g`: it runs on every request.
 */
function underReservedPrefix(path: string): boolean {
  const first = path.charCodeAt(1);
  if (first !== 0x67 && first !== 0x47 && first !== 0x25) return false;
  const end = path.indexOf('/', 1);
  let segment = path.slice(1, end === -1 ? path.length : end);
  try {
    segment = decodeURIComponent(segment);
  } catch {
    // Not decodable: read as it stands.
  }
  const cut = segment.search(/[;:]/);
  if (cut !== -1) segment = segment.slice(0, cut);
  return (
    segment
      .replace(/[. ]+$/, '')
      .toUpperCase()
      .toLowerCase() === RESERVED_SEGMENT
  );
}
