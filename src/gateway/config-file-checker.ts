import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RateLimit } from '../keys/api-key.ts';
import { bodySchemaProblem } from './body-schema.ts';
import { pathPatternProblem, type RouteRule } from './route-table.ts';

/**
 * The checks of the gateway file's values, one method per kind of value: each problem is collected
 * with its place (`routes[2].path must start with "/"`), so one start lists them all.
 */

/** RFC 9110 §9 and PATCH (RFC 5789). */
const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'];
/** Methods whose requests carry no body by convention: a body schema cannot apply to them. */
const BODYLESS_METHODS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);
const SCOPE = /^[A-Za-z0-9_.:\-/*]{1,100}$/;

/** Walks untrusted data, collecting one message per problem with its location. */
export class Checker {
  readonly problems: string[] = [];
  readonly #source: string;
  readonly #baseDir: string;

  constructor(source: string, baseDir: string) {
    this.#source = source;
    this.#baseDir = baseDir;
  }

  fail(path: string, message: string): void {
    this.problems.push(`${this.#source}: ${path === '' ? '(top level)' : path} ${message}`);
  }

  object(value: unknown, path: string, allowed: readonly string[]): Record<string, unknown> | undefined {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(path, 'must be an object');
      return undefined;
    }
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) {
        const hint = /secret|password|token|key$|credential/i.test(key)
          ? ' (secrets never go in this file; use environment variables)'
          : ` (allowed: ${allowed.join(', ')})`;
        this.fail(path === '' ? key : `${path}.${key}`, `is not a known setting${hint}`);
      }
    }
    return value as Record<string, unknown>;
  }

  list(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) {
      this.fail(path, 'must be a list');
      return [];
    }
    return value;
  }

  integer(value: unknown, path: string, min: number, max: number, fallback: number): number {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.fail(path, `must be an integer from ${min} to ${max}`);
      return fallback;
    }
    return value;
  }

  /** `limits.<name>`: a count from 1, or null for no cap. */
  cap(parent: Record<string, unknown> | undefined, name: string, fallback: number | null): number | null {
    const value = parent?.[name];
    if (value === undefined) return fallback;
    if (value === null) return null;
    if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 1e6) return value;
    this.fail(`limits.${name}`, 'must be an integer from 1 to 1000000, or null for no cap');
    return fallback;
  }

  stringList(value: unknown, path: string, problemOf: (item: string) => string | null): string[] {
    const out: string[] = [];
    for (const [index, item] of this.list(value, path).entries()) {
      const problem = typeof item === 'string' ? problemOf(item) : 'must be a string';
      if (problem === null) out.push(item as string);
      else this.fail(`${path}[${index}]`, problem);
    }
    return out;
  }

  upstreamUrl(value: unknown, path: string): string | null {
    const problem = upstreamUrlProblem(value);
    if (problem === null) return normalizeUpstreamUrl(value as string);
    this.fail(path, problem);
    return null;
  }

  route(input: unknown, index: number): RouteRule | undefined {
    const path = `routes[${index}]`;
    const route = this.object(input, path, [
      'method',
      'path',
      'scopes',
      'max_body_bytes',
      'body_schema',
      'allow_path_parameters',
    ]);
    if (!route) return undefined;
    const problemsBefore = this.problems.length;
    let methods: string[] | null = null;
    const method = route.method;
    if (method === undefined)
      this.fail(`${path}.method`, 'is required (a method, a list of methods, or "*")');
    else if (method !== '*') methods = this.methods(method, `${path}.method`);
    let pattern = '';
    if (typeof route.path !== 'string')
      this.fail(`${path}.path`, 'is required (a path pattern such as /v1/orders/{id})');
    else {
      pattern = route.path;
      const problem = pathPatternProblem(pattern);
      if (problem !== null) this.fail(`${path}.path`, problem);
    }
    const scopes = this.stringList(route.scopes ?? [], `${path}.scopes`, (scope) =>
      SCOPE.test(scope) ? null : 'must be 1-100 characters of letters, digits and _ . : - / *',
    );
    if (route.scopes === undefined)
      this.fail(
        `${path}.scopes`,
        'is required: list the scopes a caller needs ([] for any valid credential)',
      );
    const maxBodyBytes =
      route.max_body_bytes === undefined
        ? null
        : this.integer(route.max_body_bytes, `${path}.max_body_bytes`, 0, 2 ** 40, 0);
    const bodySchema =
      route.body_schema === undefined ? null : this.bodySchema(route.body_schema, `${path}.body_schema`);
    if (bodySchema !== null && (methods === null || methods.some((m) => BODYLESS_METHODS.has(m))))
      this.fail(
        `${path}.body_schema`,
        'needs methods that carry a body (such as POST, PUT, PATCH), not "*" or GET',
      );
    const allowPathParameters = route.allow_path_parameters ?? false;
    if (typeof allowPathParameters !== 'boolean')
      this.fail(`${path}.allow_path_parameters`, 'must be true or false');
    if (this.problems.length > problemsBefore) return undefined;
    return {
      methods,
      path: pattern,
      scopes,
      maxBodyBytes,
      bodySchema,
      allowPathParameters: allowPathParameters === true,
    };
  }

  /** One method or a list, any letter case; returned upper-case. */
  methods(value: unknown, path: string): string[] {
    const list = Array.isArray(value) ? value : [value];
    if (list.length === 0) this.fail(path, 'must name at least one method (or be "*")');
    const methods: string[] = [];
    for (const [index, method] of list.entries()) {
      const place = Array.isArray(value) ? `${path}[${index}]` : path;
      const name = typeof method === 'string' ? method.toUpperCase() : '';
      if (HTTP_METHODS.includes(name)) methods.push(name);
      else
        this.fail(
          place,
          `${JSON.stringify(method)} is not an HTTP method (${HTTP_METHODS.join(', ')}, or "*" for any)`,
        );
    }
    return methods;
  }

  /** An inline JSON Schema, or the path of a `.json` file holding one. */
  bodySchema(value: unknown, path: string): Record<string, unknown> | null {
    let schema = value;
    if (typeof value === 'string') {
      const file = resolve(this.#baseDir, value);
      try {
        schema = JSON.parse(readFileSync(file, 'utf8'));
      } catch (error) {
        const reason =
          error instanceof SyntaxError
            ? 'is not valid JSON'
            : `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
        this.fail(path, `names ${file}, which ${reason}`);
        return null;
      }
    }
    const problem = bodySchemaProblem(schema);
    if (problem === null) return schema as Record<string, unknown>;
    this.fail(path, problem);
    return null;
  }

  rateLimit(
    parent: Record<string, unknown> | undefined,
    name: string,
    fallback: RateLimit | null,
  ): RateLimit | null {
    const path = `rate_limits.${name}`;
    const value = parent?.[name];
    if (value === undefined) return fallback;
    if (value === null || value === false) return null;
    const input = this.object(value, path, ['requests_per_second', 'burst']);
    if (!input) return fallback;
    const rps = input.requests_per_second;
    if (typeof rps !== 'number' || !(rps > 0) || rps > 1e6) {
      this.fail(`${path}.requests_per_second`, 'must be a number above 0 and at most 1000000');
      return fallback;
    }
    const burst = this.integer(input.burst, `${path}.burst`, 1, 1e6, -1);
    if (burst === -1) {
      if (input.burst === undefined) this.fail(`${path}.burst`, 'is required (an integer from 1 to 1000000)');
      return fallback;
    }
    return { requests_per_second: rps, burst };
  }
}

/** Why a value is not usable as an upstream base URL, or null. Shared with the environment variables. */
export function upstreamUrlProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a URL string';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute http:// or https:// URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http:// or https:// URL';
  if (url.username !== '' || url.password !== '')
    return 'must not contain credentials (user:password@); secrets never go in the configuration';
  if (url.search !== '' || url.hash !== '') return 'must not have a query or fragment';
  return null;
}

/** `https://api.internal/base/` → `https://api.internal/base` (the request path is appended to it). */
export function normalizeUpstreamUrl(value: string): string {
  const url = new URL(value);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
