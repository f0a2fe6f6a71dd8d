import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { Environment, RateLimit } from '../keys/api-key.ts';
import { Checker } from './config-file-checker.ts';
import type { RouteRule } from './route-table.ts';

/** What the declarative gateway file (`gatehouse.config.json` / `.yaml`) says. Never a secret. */
export interface GatewayFile {
  readonly environments: Readonly<Record<Environment, EnvironmentRule>>;
  readonly routes: readonly RouteRule[];
  readonly rateLimits: { readonly perCredential: RateLimit | null; readonly perIp: RateLimit | null };
  readonly limits: TrafficLimits;
  readonly upstreamTimeouts: UpstreamTimeouts;
  readonly plainHttp: { readonly revokeExposedCredentials: boolean };
  /** `caseSensitive`: the upstreams tell `/a` from `/A` (else a path must read as one route either way). */
  readonly paths: { readonly caseSensitive: boolean };
}

export interface EnvironmentRule {
  /** Base URL of this environment's upstream; null when not set here. */
  readonly upstream: string | null;
  /** Host names that serve only this environment: a key of another environment is refused there. */
  readonly hosts: readonly string[];
}

export interface TrafficLimits {
  readonly maxBodyBytes: number;
  readonly maxHeaderBytes: number;
  readonly maxHeaders: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  /** Requests of one credential / one client address in flight to the upstream at once (null: no cap). */
  readonly maxInFlightPerCredential: number | null;
  readonly maxInFlightPerIp: number | null;
  /** A body declared at most this long is read whole before an upstream connection is taken. */
  readonly bufferedBodyBytes: number;
}

export interface UpstreamTimeouts {
  readonly connectMs: number;
  readonly headersMs: number;
  readonly bodyMs: number;
}

export const DEFAULT_GATEWAY_FILE: GatewayFile = deepFreeze({
  environments: { production: { upstream: null, hosts: [] }, sandbox: { upstream: null, hosts: [] } },
  routes: [],
  rateLimits: {
    perCredential: { requests_per_second: 50, burst: 100 },
    perIp: { requests_per_second: 100, burst: 200 },
  },
  limits: {
    maxBodyBytes: 1024 * 1024,
    maxHeaderBytes: 16 * 1024,
    maxHeaders: 100,
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
    keepAliveTimeoutMs: 5_000,
    // Of the upstream pool's 128 connections, one key can hold at most half and one address three
    // quarters, so a single caller never starves the rest (issue 13).
    maxInFlightPerCredential: 64,
    maxInFlightPerIp: 96,
    bufferedBodyBytes: 16 * 1024,
  },
  upstreamTimeouts: { connectMs: 5_000, headersMs: 30_000, bodyMs: 30_000 },
  plainHttp: { revokeExposedCredentials: false },
  paths: { caseSensitive: false },
});

const DEFAULT_NAMES = ['gatehouse.config.json', 'gatehouse.config.yaml', 'gatehouse.config.yml'];

/** The file to read: the one named (must exist), else the first default name present in `cwd`, else none. */
export function findGatewayFile(named: string | undefined, cwd: string): string | null {
  if (named !== undefined) return resolve(cwd, named);
  for (const name of DEFAULT_NAMES) {
    const candidate = resolve(cwd, name);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

/** Reads and validates the file; every problem names the file and the path inside it. */
export function loadGatewayFile(file: string): { value: GatewayFile; problems: string[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return { value: DEFAULT_GATEWAY_FILE, problems: [`${file} cannot be read (${code})`] };
  }
  const parsed = parseText(text, extname(file).toLowerCase() === '.json');
  if (!parsed.ok) return { value: DEFAULT_GATEWAY_FILE, problems: [`${file}: ${parsed.message}`] };
  return checkGatewayFile(parsed.data, file);
}

function parseText(
  text: string,
  json: boolean,
): { ok: true; data: unknown } | { ok: false; message: string } {
  if (json) {
    try {
      return { ok: true, data: JSON.parse(text) };
    } catch (error) {
      return { ok: false, message: `not valid JSON (${(error as Error).message})` };
    }
  }
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const [first] = document.errors;
  if (first) {
    const where = first.linePos?.[0];
    const reason = (first.message.split('\n')[0] ?? first.code).replace(/ at line \d+, column \d+:?$/, '');
    return {
      ok: false,
      message: `not valid YAML${where ? ` at line ${where.line}, column ${where.col}` : ''}: ${reason}`,
    };
  }
  return { ok: true, data: document.toJS() };
}

/**
 * Validates already-parsed data (JSON and YAML end up here alike). A `body_schema` given as a path
 * is read relative to `baseDir` (the gateway file's folder).
 */
export function checkGatewayFile(
  data: unknown,
  source: string,
  baseDir = dirname(source),
): { value: GatewayFile; problems: string[] } {
  const check = new Checker(source, baseDir);
  const top = check.object(data ?? {}, '', [
    'environments',
    'routes',
    'rate_limits',
    'limits',
    'upstream_timeouts',
    'plain_http',
    'paths',
  ]);
  const defaults = DEFAULT_GATEWAY_FILE;
  const environmentsInput = check.object(top?.environments ?? {}, 'environments', ['production', 'sandbox']);
  const environment = (name: Environment): EnvironmentRule => {
    const path = `environments.${name}`;
    const input = check.object(environmentsInput?.[name] ?? {}, path, ['upstream', 'hosts']);
    const upstream =
      input?.upstream === undefined || input.upstream === null
        ? null
        : check.upstreamUrl(input.upstream, `${path}.upstream`);
    const hosts = check.stringList(input?.hosts ?? [], `${path}.hosts`, (host) =>
      /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/.test(host)
        ? null
        : 'must be a lower-case host name without port',
    );
    return { upstream, hosts };
  };
  const environments = { production: environment('production'), sandbox: environment('sandbox') };
  const shared = environments.production.hosts.filter((h) => environments.sandbox.hosts.includes(h));
  if (shared.length > 0) check.fail('environments', `host ${shared[0]} is listed for both environments`);

  const limitsInput = check.object(top?.limits ?? {}, 'limits', [
    'max_body_bytes',
    'max_header_bytes',
    'max_headers',
    'headers_timeout_ms',
    'request_timeout_ms',
    'keep_alive_timeout_ms',
    'max_in_flight_per_credential',
    'max_in_flight_per_ip',
    'buffered_body_bytes',
  ]);
  const d = defaults.limits;
  const limits: TrafficLimits = {
    maxBodyBytes: check.integer(
      limitsInput?.max_body_bytes,
      'limits.max_body_bytes',
      0,
      2 ** 40,
      d.maxBodyBytes,
    ),
    maxHeaderBytes: check.integer(
      limitsInput?.max_header_bytes,
      'limits.max_header_bytes',
      1024,
      1024 * 1024,
      d.maxHeaderBytes,
    ),
    maxHeaders: check.integer(limitsInput?.max_headers, 'limits.max_headers', 8, 1000, d.maxHeaders),
    headersTimeoutMs: check.integer(
      limitsInput?.headers_timeout_ms,
      'limits.headers_timeout_ms',
      100,
      600_000,
      d.headersTimeoutMs,
    ),
    requestTimeoutMs: check.integer(
      limitsInput?.request_timeout_ms,
      'limits.request_timeout_ms',
      100,
      3_600_000,
      d.requestTimeoutMs,
    ),
    keepAliveTimeoutMs: check.integer(
      limitsInput?.keep_alive_timeout_ms,
      'limits.keep_alive_timeout_ms',
      0,
      600_000,
      d.keepAliveTimeoutMs,
    ),
    maxInFlightPerCredential: check.cap(
      limitsInput,
      'max_in_flight_per_credential',
      d.maxInFlightPerCredential,
    ),
    maxInFlightPerIp: check.cap(limitsInput, 'max_in_flight_per_ip', d.maxInFlightPerIp),
    bufferedBodyBytes: check.integer(
      limitsInput?.buffered_body_bytes,
      'limits.buffered_body_bytes',
      0,
      16 * 1024 * 1024,
      d.bufferedBodyBytes,
    ),
  };
  if (limits.requestTimeoutMs < limits.headersTimeoutMs)
    check.fail('limits.request_timeout_ms', 'must not be shorter than limits.headers_timeout_ms');

  const pathsInput = check.object(top?.paths ?? {}, 'paths', ['case_sensitive']);
  const caseSensitive = pathsInput?.case_sensitive ?? false;
  if (typeof caseSensitive !== 'boolean') check.fail('paths.case_sensitive', 'must be true or false');

  const routes = check.list(top?.routes ?? [], 'routes').map((input, index) => check.route(input, index));
  const seen = new Set<string>();
  const foldHint =
    ' (paths that differ only by letter case are one route unless paths.case_sensitive is true)';
  for (const route of routes) {
    if (route === undefined) continue; // already reported
    const pattern = route.path.replace(/\{[^}]*\}/g, '{}');
    for (const method of route.methods ?? ['*']) {
      const key = `${method} ${caseSensitive === true ? pattern : pattern.toLowerCase()}`;
      if (seen.has(key))
        check.fail(
          'routes',
          `${method} ${route.path} is declared more than once${caseSensitive === true ? '' : foldHint}`,
        );
      seen.add(key);
    }
  }

  const rateInput = check.object(top?.rate_limits ?? {}, 'rate_limits', ['per_credential', 'per_ip']);
  const rateLimits = {
    perCredential: check.rateLimit(rateInput, 'per_credential', defaults.rateLimits.perCredential),
    perIp: check.rateLimit(rateInput, 'per_ip', defaults.rateLimits.perIp),
  };

  const timeoutsInput = check.object(top?.upstream_timeouts ?? {}, 'upstream_timeouts', [
    'connect_ms',
    'headers_ms',
    'body_ms',
  ]);
  const t = defaults.upstreamTimeouts;
  const upstreamTimeouts = {
    connectMs: check.integer(
      timeoutsInput?.connect_ms,
      'upstream_timeouts.connect_ms',
      100,
      600_000,
      t.connectMs,
    ),
    headersMs: check.integer(
      timeoutsInput?.headers_ms,
      'upstream_timeouts.headers_ms',
      100,
      3_600_000,
      t.headersMs,
    ),
    bodyMs: check.integer(timeoutsInput?.body_ms, 'upstream_timeouts.body_ms', 100, 3_600_000, t.bodyMs),
  };

  const plainInput = check.object(top?.plain_http ?? {}, 'plain_http', ['revoke_exposed_credentials']);
  const revoke = plainInput?.revoke_exposed_credentials ?? false;
  if (typeof revoke !== 'boolean')
    check.fail('plain_http.revoke_exposed_credentials', 'must be true or false');

  const value: GatewayFile = deepFreeze({
    environments,
    routes: routes.filter((r): r is RouteRule => r !== undefined),
    rateLimits,
    limits,
    upstreamTimeouts,
    plainHttp: { revokeExposedCredentials: revoke === true },
    paths: { caseSensitive: caseSensitive === true },
  });
  return { value, problems: check.problems };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
