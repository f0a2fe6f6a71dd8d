import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { bodySchemaProblem } from './body-schema.ts';
import type { FileProblem } from './config-file-problems.ts';
import { HTTP_METHODS } from './config-file-schema.ts';
import { pathPatternProblem } from './route-table.ts';

/**
 * The checks of the gateway file that need code, run on values whose shape the schema already
 * accepted: each problem is collected with its place (`routes[2].path must start with "/"`).
 */

/** Methods whose requests carry no body by convention: a body schema cannot apply to them. */
const BODYLESS_METHODS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

/** Collects problems; `clean(path)` says whether the schema found nothing wrong at or under `path`. */
export class Checker {
  readonly problems: FileProblem[] = [];
  readonly #baseDir: string;
  readonly #flagged: readonly string[];

  constructor(baseDir: string, structural: readonly FileProblem[]) {
    this.#baseDir = baseDir;
    this.#flagged = structural.map((p) => p.path);
  }

  fail(path: string, message: string, last = false): void {
    this.problems.push({ path, message, last });
  }

  clean(path: string): boolean {
    const all = [...this.#flagged, ...this.problems.map((p) => p.path)];
    return !all.some((p) => p === path || p.startsWith(`${path}.`) || p.startsWith(`${path}[`));
  }

  upstreamUrl(value: unknown, path: string): string | null {
    if (value === undefined || value === null || !this.clean(path)) return null;
    const problem = upstreamUrlProblem(value);
    if (problem === null) return normalizeUpstreamUrl(value as string);
    this.fail(path, problem);
    return null;
  }

  /** One method or a list, any letter case, or "*" (null); returned upper-case. */
  methods(value: unknown, path: string): string[] | null {
    if (value === '*' || !this.clean(path)) return null;
    const list = (Array.isArray(value) ? value : [value]) as string[];
    const methods: string[] = [];
    for (const [index, method] of list.entries()) {
      const name = typeof method === 'string' ? method.toUpperCase() : '';
      if (HTTP_METHODS.includes(name)) methods.push(name);
      else
        this.fail(
          Array.isArray(value) ? `${path}[${index}]` : path,
          `${JSON.stringify(method)} is not an HTTP method (${HTTP_METHODS.join(', ')}, or "*" for any)`,
        );
    }
    return methods;
  }

  pathPattern(value: unknown, path: string): void {
    if (typeof value !== 'string' || !this.clean(path)) return;
    const problem = pathPatternProblem(value);
    if (problem !== null) this.fail(path, problem);
  }

  /** An inline JSON Schema, or the path of a `.json` file holding one. */
  bodySchema(
    value: unknown,
    path: string,
    methods: readonly string[] | null,
  ): Record<string, unknown> | null {
    if (value === undefined || !this.clean(path)) return null;
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
    if (problem !== null) {
      this.fail(path, problem);
      return null;
    }
    if (methods === null || methods.some((m) => BODYLESS_METHODS.has(m)))
      this.fail(path, 'needs methods that carry a body (such as POST, PUT, PATCH), not "*" or GET');
    return schema as Record<string, unknown>;
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
