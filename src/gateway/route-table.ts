import { type BodyValidator, compileBodySchema } from './body-schema.ts';

/**
 * The gateway's route table (K7): method + path pattern → the scopes a caller needs. Anything not
 * in the table is denied. Patterns are literal segments, `{name}` (exactly one non-empty segment)
 * and a final `**` (the rest of the path, possibly nothing). When several patterns match, the most
 * specific wins: a literal segment beats `{name}`, which beats `**`, so the order of the file never
 * changes the outcome.
 */

export interface RouteRule {
  /** Upper-case methods; null means any method. */
  readonly methods: readonly string[] | null;
  readonly path: string;
  /** Every one of these is required. */
  readonly scopes: readonly string[];
  /** Largest request body in bytes; null means the gateway-wide default. */
  readonly maxBodyBytes: number | null;
  /** A JSON Schema every request body must match before the upstream sees it (T4); null for none. */
  readonly bodySchema: Readonly<Record<string, unknown>> | null;
}

export interface MatchedRoute {
  /** The pattern as configured: what the request log shows as `route`. */
  readonly pattern: string;
  readonly scopes: readonly string[];
  readonly maxBodyBytes: number;
  /** Checks the whole body when the route has a `body_schema`; null streams the body unread. */
  readonly validateBody: BodyValidator | null;
}

interface Node {
  readonly literal: Map<string, Node>;
  param: Node | null;
  /** Routes of a `**` ending at this node, by method. */
  rest: Map<string, MatchedRoute> | null;
  /** Routes ending exactly at this node, by method (`*` for any). */
  exact: Map<string, MatchedRoute> | null;
}

const ANY_METHOD = '*';

/** Why a path pattern is unusable, or null when it is fine. */
export function pathPatternProblem(pattern: string): string | null {
  if (!pattern.startsWith('/')) return 'must start with "/"';
  if (pattern.length > 1 && pattern.endsWith('/')) return 'must not end with "/"';
  const segments = pattern.slice(1).split('/');
  for (const [index, segment] of segments.entries()) {
    if (pattern === '/') break;
    if (segment === '') return 'must not contain empty segments ("//")';
    if (segment === '**') {
      if (index !== segments.length - 1) return '"**" may only be the last segment';
      continue;
    }
    if (segment.startsWith('{') || segment.endsWith('}')) {
      if (!/^\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(segment)) return `"${segment}" is not a valid {name} segment`;
      continue;
    }
    if (segment === '.' || segment === '..') return 'must not contain "." or ".." segments';
    if (!/^[A-Za-z0-9\-._~!$&'()+,;=:@]+$/.test(segment))
      return `segment "${segment}" has characters a request path would carry percent-encoded`;
  }
  return null;
}

/** A compiled route table. `match` allocates nothing but the result it returns (which is shared). */
export class RouteTable {
  readonly #root: Node = newNode();
  readonly size: number;

  constructor(rules: readonly RouteRule[], defaultMaxBodyBytes: number) {
    for (const rule of rules) {
      const problem = pathPatternProblem(rule.path);
      if (problem !== null) throw new Error(`route ${rule.path}: ${problem}`);
      const route: MatchedRoute = Object.freeze({
        pattern: rule.path,
        scopes: Object.freeze([...rule.scopes]),
        maxBodyBytes: rule.maxBodyBytes ?? defaultMaxBodyBytes,
        validateBody: rule.bodySchema === null ? null : compileBodySchema(rule.bodySchema),
      });
      let node = this.#root;
      let rest = false;
      if (rule.path !== '/') {
        for (const segment of rule.path.slice(1).split('/')) {
          if (segment === '**') {
            rest = true;
            break;
          }
          if (segment.startsWith('{')) {
            node.param ??= newNode();
            node = node.param;
          } else {
            let next = node.literal.get(segment);
            if (!next) {
              next = newNode();
              node.literal.set(segment, next);
            }
            node = next;
          }
        }
      }
      if (rest) node.rest ??= new Map();
      else node.exact ??= new Map();
      const byMethod = (rest ? node.rest : node.exact) as Map<string, MatchedRoute>;
      for (const method of rule.methods ?? [ANY_METHOD]) {
        if (byMethod.has(method))
          throw new Error(
            `route ${method} ${rule.path} is declared twice (or overlaps an equivalent pattern)`,
          );
        byMethod.set(method, route);
      }
    }
    this.size = rules.length;
  }

  /**
   * The route for a request, or null (deny). The path is `target` up to `pathEnd` (where the query
   * starts), so the request target need not be sliced.
   */
  match(method: string, target: string, pathEnd = target.length): MatchedRoute | null {
    if (pathEnd === 1) return pick(this.#root.exact, method) ?? pick(this.#root.rest, method);
    return matchFrom(this.#root, method, target, 1, pathEnd);
  }
}

function newNode(): Node {
  return { literal: new Map(), param: null, rest: null, exact: null };
}

function pick(byMethod: Map<string, MatchedRoute> | null, method: string): MatchedRoute | null {
  if (byMethod === null) return null;
  return byMethod.get(method) ?? byMethod.get(ANY_METHOD) ?? null;
}

/**
 * Depth-first: literal child, then `{name}`, then a `**` at this node; the first hit is the most
 * specific. `start` past the end means the path ended here; at the end, a trailing slash (an empty
 * last segment) is only covered by `**`.
 */
function matchFrom(
  node: Node,
  method: string,
  path: string,
  start: number,
  pathEnd: number,
): MatchedRoute | null {
  if (start > pathEnd) return pick(node.exact, method) ?? pick(node.rest, method);
  if (start === pathEnd) return pick(node.rest, method);
  let end = path.indexOf('/', start);
  if (end === -1 || end > pathEnd) end = pathEnd;
  if (end > start) {
    const segment = path.slice(start, end);
    const literal = node.literal.get(segment);
    if (literal) {
      const found = matchFrom(literal, method, path, end + 1, pathEnd);
      if (found) return found;
    }
    if (node.param) {
      const found = matchFrom(node.param, method, path, end + 1, pathEnd);
      if (found) return found;
    }
  }
  return pick(node.rest, method);
}
