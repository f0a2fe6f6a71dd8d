import { type BodyValidator, compileBodySchema } from './body-schema.ts';
import {
  caseFolded,
  type DeclaredName,
  fileNameReadings,
  HAS_ESCAPES,
  HAS_EXTENSION,
  HAS_PARAMETERS,
  HAS_UPPER_CASE,
  HAS_WINDOWS_NAME,
  pathShape,
  withoutPathParameters,
  withReservedDecoded,
} from './path-readings.ts';

/**
 * The gateway's route table (K7): method + path pattern → the scopes a caller needs. Anything not
 * in the table is denied. Patterns are literal segments, `{name}` (exactly one non-empty segment)
 * and a final `**` (the rest of the path, possibly nothing). When several patterns match, the most
 * specific wins: a literal segment beats `{name}`, which beats `**`, so the order of the file never
 * changes the outcome.
 *
 * `resolve` also holds a request to every other way an upstream could read its path (T5,
 * `path-readings.ts`): `;parameters` cut off (refused unless the route opts in), the remaining
 * escapes decoded, a trailing slash dropped, the last segment's extension cut off, every segment
 * read as a Windows file name (trailing dots and spaces and `:streams` dropped), and, unless the
 * upstream is declared case-sensitive, letter case ignored. When those readings land on different
 * routes the request is refused: one request is held to one route's rules, never to the weaker of
 * two. A segment that is a literal of the matched route (`openapi.json`, `a:b`) is read as declared.
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
  /** Accept `;parameters` in path segments (matched with them cut off, forwarded as sent). */
  readonly allowPathParameters?: boolean;
}

export interface RouteTableOptions {
  /** The upstreams tell `/a` from `/A`: no case-folded reading, case variants are distinct paths. */
  readonly caseSensitive?: boolean;
}

/** Why `resolve` found no route to forward to; each is the problem code the client gets. */
export type RouteRefusal =
  | 'route_not_found'
  | 'invalid_path'
  | 'path_parameters_not_allowed'
  | 'ambiguous_path';

/** Status and problem detail of each refusal. */
export const ROUTE_REFUSALS: Readonly<Record<RouteRefusal, { status: number; detail: string }>> = {
  route_not_found: { status: 404, detail: 'No such endpoint' },
  invalid_path: { status: 400, detail: 'The request path is not acceptable' },
  path_parameters_not_allowed: {
    status: 400,
    detail: 'This endpoint does not accept ";" parameters in the path',
  },
  ambiguous_path: {
    status: 400,
    detail:
      'The path could be read as another endpoint (escapes decoded, letter case ignored, or an extension, trailing dots or a ":" part cut off); spell it as documented',
  },
};

export interface MatchedRoute {
  /** The pattern as configured: what the request log shows as `route`. */
  readonly pattern: string;
  readonly scopes: readonly string[];
  readonly maxBodyBytes: number;
  /** Checks the whole body when the route has a `body_schema`; null streams the body unread. */
  readonly validateBody: BodyValidator | null;
  readonly allowPathParameters: boolean;
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
    if (segment.includes(';'))
      return 'must not contain ";" (path parameters are cut off before matching: see allow_path_parameters)';
    if (!/^[A-Za-z0-9\-._~!$&'()+,;=:@]+$/.test(segment))
      return `segment "${segment}" has characters a request path would carry percent-encoded`;
  }
  return null;
}

/** A compiled route table. `match` allocates nothing but the result it returns (which is shared). */
export class RouteTable {
  readonly #root: Node = newNode();
  /** The same routes with lower-cased literals; `#root` itself when no literal has upper case. */
  readonly #foldedRoot: Node;
  readonly #caseSensitive: boolean;
  readonly #foldEveryPath: boolean;
  readonly #parametersAllowed: boolean;
  /**
   * For routes with a `.` or `:` in a literal segment, their literals by position: the segments
   * of a request that matched the route as sent are read as declared (`/v1/openapi.json`).
   */
  readonly #routeNames = new Map<MatchedRoute, DeclaredName>();
  /**
   * Those literals of every route by position (lower-cased unless case-sensitive): a reading in
   * which a segment keeps such a name too, since that reading may land on another route
   * (`/b./a:b` reads as `/b/a:b` on IIS when that route exists, not as `/b/a`).
   */
  readonly #namesAt: Set<string>[] = [];
  /** The longest of them: a longer stem is no declared name, without hashing it (`a.a.a.…`). */
  #longestName = 0;
  readonly #tableNames: DeclaredName = (index, name) =>
    name.length <= this.#longestName &&
    this.#namesAt[index]?.has(this.#caseSensitive ? name : name.toLowerCase()) === true;
  readonly size: number;

  constructor(rules: readonly RouteRule[], defaultMaxBodyBytes: number, options: RouteTableOptions = {}) {
    this.#caseSensitive = options.caseSensitive === true;
    const upperCaseLiterals = !this.#caseSensitive && rules.some((rule) => /[A-Z]/.test(rule.path));
    this.#foldedRoot = upperCaseLiterals ? newNode() : this.#root;
    this.#foldEveryPath = upperCaseLiterals;
    for (const rule of rules) {
      const problem = pathPatternProblem(rule.path);
      if (problem !== null) throw new Error(`route ${rule.path}: ${problem}`);
      const route: MatchedRoute = Object.freeze({
        pattern: rule.path,
        scopes: Object.freeze([...rule.scopes]),
        maxBodyBytes: rule.maxBodyBytes ?? defaultMaxBodyBytes,
        validateBody: rule.bodySchema === null ? null : compileBodySchema(rule.bodySchema),
        allowPathParameters: rule.allowPathParameters === true,
      });
      insert(this.#root, rule, route, rule.path, '');
      if (/[.:]/.test(rule.path)) this.#declareNames(route);
      if (upperCaseLiterals)
        insert(this.#foldedRoot, rule, route, rule.path.toLowerCase(), ' when letter case is ignored');
    }
    this.#parametersAllowed = rules.some((rule) => rule.allowPathParameters === true);
    this.size = rules.length;
  }

  #declareNames(route: MatchedRoute): void {
    const literals = route.pattern
      .slice(1)
      .split('/')
      .map((segment) => (segment === '**' || segment.startsWith('{') ? null : segment));
    this.#routeNames.set(route, (index, name) => literals[index] === name);
    for (const [index, literal] of literals.entries()) {
      if (literal === null || !/[.:]/.test(literal)) continue;
      this.#namesAt[index] ??= new Set();
      this.#namesAt[index].add(this.#caseSensitive ? literal : literal.toLowerCase());
      this.#longestName = Math.max(this.#longestName, literal.length);
    }
  }

  /**
   * The route for a request, or null (deny). The path is `target` up to `pathEnd` (where the query
   * starts), so the request target need not be sliced.
   */
  match(method: string, target: string, pathEnd = target.length): MatchedRoute | null {
    return lookup(this.#root, method, target, pathEnd);
  }

  /**
   * The route a normalised request path is held to, or why there is none. For a path without `;`,
   * `%`, `:`, upper-case letters, a trailing slash or `.` (in its last segment or ending one), and a
   * table without upper-case literals, this is `match`.
   */
  resolve(method: string, target: string, pathEnd = target.length): MatchedRoute | RouteRefusal {
    let shape = pathShape(target, pathEnd);
    if (this.#caseSensitive) shape &= ~HAS_UPPER_CASE;
    if (shape === 0 && !this.#foldEveryPath)
      return lookup(this.#root, method, target, pathEnd) ?? 'route_not_found';
    return this.#resolveSpelled(method, target.slice(0, pathEnd), shape);
  }

  #resolveSpelled(method: string, path: string, shape: number): MatchedRoute | RouteRefusal {
    let base = path;
    if ((shape & HAS_PARAMETERS) !== 0) {
      if (!this.#parametersAllowed) return 'path_parameters_not_allowed';
      const cut = withoutPathParameters(path);
      if (cut === null) return 'invalid_path';
      base = cut;
      shape |= pathShape(base, base.length); // `secret.;x` ends in a dot once cut
    }
    const route = lookup(this.#root, method, base, base.length);
    if (route === null) return 'route_not_found';
    if ((shape & HAS_PARAMETERS) !== 0 && !route.allowPathParameters) return 'path_parameters_not_allowed';
    if (!this.#foldedAndDecodedReadAs(route, method, base, shape)) return 'ambiguous_path';
    const trimmed = base.length > 1 && base.endsWith('/') ? base.slice(0, -1) : base;
    if (trimmed !== base && !this.#readsAs(route, method, trimmed, shape)) return 'ambiguous_path';
    if ((shape & (HAS_EXTENSION | HAS_WINDOWS_NAME)) === 0) return route;
    const declared = this.#routeNames.get(route);
    const decoded = (shape & HAS_ESCAPES) === 0 ? trimmed : withReservedDecoded(trimmed);
    for (const path of decoded === trimmed ? [trimmed] : [trimmed, decoded])
      for (const names of this.#namesAt.length === 0 ? [declared] : [declared, this.#tableNames]) {
        const readings = fileNameReadings(path, shape, names);
        if (readings === null) return 'invalid_path';
        for (const reading of readings)
          if (!this.#readsAs(route, method, reading, shape)) return 'ambiguous_path';
      }
    return route;
  }

  /** Whether `path` as sent, case-folded (unless case-sensitive) and with its escapes decoded lands on `route`. */
  #readsAs(route: MatchedRoute, method: string, path: string, shape: number): boolean {
    return (
      lookup(this.#root, method, path, path.length) === route &&
      this.#foldedAndDecodedReadAs(route, method, path, shape)
    );
  }

  /** `#readsAs` for a path already known to land on `route` as sent. */
  #foldedAndDecodedReadAs(route: MatchedRoute, method: string, path: string, shape: number): boolean {
    if (!this.#caseSensitive) {
      const folded = caseFolded(path);
      if (folded === null) return false;
      // An unchanged path on the same trie was looked up already.
      if (
        (folded !== path || this.#foldedRoot !== this.#root) &&
        lookup(this.#foldedRoot, method, folded, folded.length) !== route
      )
        return false;
    }
    if ((shape & HAS_ESCAPES) === 0) return true;
    const decoded = withReservedDecoded(path);
    return decoded === path || this.#readsAs(route, method, decoded, 0);
  }
}

function insert(root: Node, rule: RouteRule, route: MatchedRoute, path: string, reading: string): void {
  let node = root;
  let rest = false;
  if (path !== '/') {
    for (const segment of path.slice(1).split('/')) {
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
        `route ${method} ${rule.path} is declared twice (or overlaps an equivalent pattern${reading})`,
      );
    byMethod.set(method, route);
  }
}

function lookup(root: Node, method: string, path: string, pathEnd: number): MatchedRoute | null {
  if (pathEnd === 1) return pick(root.exact, method) ?? pick(root.rest, method);
  return matchFrom(root, method, path, 1, pathEnd);
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
