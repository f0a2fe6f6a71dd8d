import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { createAjv } from '../http/ajv.ts';
import type { Environment, RateLimit } from '../keys/api-key.ts';
import { DEFAULT_USAGE_SETTINGS, type UsageSettings } from '../usage/usage-settings.ts';
import { Checker } from './config-file-checker.ts';
import { problemsOfErrors, sortProblems } from './config-file-problems.ts';
import { GATEWAY_FILE_SCHEMA } from './config-file-schema.ts';
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
  /** Usage records' batch interval and the usage detectors' thresholds (`monitoring.*`). */
  readonly monitoring: UsageSettings;
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
  monitoring: DEFAULT_USAGE_SETTINGS,
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

const validateFile = createAjv({ verbose: true }).compile(GATEWAY_FILE_SCHEMA);

/** The order problems are reported in, section by section (the schema's own order is the documentation's). */
const CHECK_ORDER = [
  'environments',
  'limits',
  'paths',
  'routes',
  'rate_limits',
  'upstream_timeouts',
  'plain_http',
  'monitoring',
];

/**
 * Validates already-parsed data (JSON and YAML end up here alike): the schema's structural checks,
 * then the checks that need code. A `body_schema` given as a path is read relative to `baseDir`.
 */
export function checkGatewayFile(
  data: unknown,
  source: string,
  baseDir = dirname(source),
): { value: GatewayFile; problems: string[] } {
  const input = data ?? {};
  const structural = validateFile(input) ? [] : problemsOfErrors(validateFile.errors ?? []);
  const check = new Checker(baseDir, structural);
  const top = (isObject(input) ? input : {}) as Input;
  const setting = <T>(path: string, fallback: T): T => {
    const value = path
      .split('.')
      .reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), top);
    return value === undefined || !check.clean(path) ? fallback : (value as T);
  };

  const environment = (name: Environment): EnvironmentRule => ({
    upstream: check.upstreamUrl(
      setting(`environments.${name}.upstream`, null),
      `environments.${name}.upstream`,
    ),
    hosts: setting<string[]>(`environments.${name}.hosts`, []),
  });
  const environments = { production: environment('production'), sandbox: environment('sandbox') };
  const shared = environments.production.hosts.filter((h) => environments.sandbox.hosts.includes(h));
  if (shared.length > 0)
    check.fail('environments', `host ${shared[0]} is listed for both environments`, true);

  const d = DEFAULT_GATEWAY_FILE.limits;
  const limits: TrafficLimits = {
    maxBodyBytes: setting('limits.max_body_bytes', d.maxBodyBytes),
    maxHeaderBytes: setting('limits.max_header_bytes', d.maxHeaderBytes),
    maxHeaders: setting('limits.max_headers', d.maxHeaders),
    headersTimeoutMs: setting('limits.headers_timeout_ms', d.headersTimeoutMs),
    requestTimeoutMs: setting('limits.request_timeout_ms', d.requestTimeoutMs),
    keepAliveTimeoutMs: setting('limits.keep_alive_timeout_ms', d.keepAliveTimeoutMs),
    maxInFlightPerCredential: setting('limits.max_in_flight_per_credential', d.maxInFlightPerCredential),
    maxInFlightPerIp: setting('limits.max_in_flight_per_ip', d.maxInFlightPerIp),
    bufferedBodyBytes: setting('limits.buffered_body_bytes', d.bufferedBodyBytes),
  };
  if (limits.requestTimeoutMs < limits.headersTimeoutMs)
    check.fail('limits.request_timeout_ms', 'must not be shorter than limits.headers_timeout_ms', true);

  const caseSensitive = setting('paths.case_sensitive', false);
  const routeList = Array.isArray(top.routes) ? top.routes : [];
  const routes = routeList.map((route, index) => routeOf(check, route, `routes[${index}]`));
  checkDuplicateRoutes(check, routes, caseSensitive);

  const r = DEFAULT_GATEWAY_FILE.rateLimits;
  const rate = (name: string, fallback: RateLimit | null): RateLimit | null => {
    const value = setting<RateLimit | false | null>(`rate_limits.${name}`, fallback);
    return value === false || value === null ? null : value;
  };
  const t = DEFAULT_GATEWAY_FILE.upstreamTimeouts;
  const value: GatewayFile = deepFreeze({
    environments,
    routes: routes.filter((route): route is RouteRule => route !== undefined),
    rateLimits: { perCredential: rate('per_credential', r.perCredential), perIp: rate('per_ip', r.perIp) },
    limits,
    upstreamTimeouts: {
      connectMs: setting('upstream_timeouts.connect_ms', t.connectMs),
      headersMs: setting('upstream_timeouts.headers_ms', t.headersMs),
      bodyMs: setting('upstream_timeouts.body_ms', t.bodyMs),
    },
    plainHttp: { revokeExposedCredentials: setting('plain_http.revoke_exposed_credentials', false) },
    paths: { caseSensitive },
    monitoring: monitoringOf(setting),
  });
  const problems = sortProblems([...structural, ...check.problems], GATEWAY_FILE_SCHEMA, CHECK_ORDER);
  return {
    value,
    problems: problems.map((p) => `${source}: ${p.path === '' ? '(top level)' : p.path} ${p.message}`),
  };
}

type Input = Record<string, unknown>;

function monitoringOf(setting: <T>(path: string, fallback: T) => T): UsageSettings {
  const d = DEFAULT_USAGE_SETTINGS.detectors;
  const at = 'monitoring.detectors';
  return {
    flushIntervalMs: setting('monitoring.usage.flush_interval_ms', DEFAULT_USAGE_SETTINGS.flushIntervalMs),
    detectors: {
      newIp: {
        enabled: setting(`${at}.new_ip.enabled`, d.newIp.enabled),
        learningMs: setting(`${at}.new_ip.learning_period_ms`, d.newIp.learningMs),
      },
      volumeSpike: {
        enabled: setting(`${at}.volume_spike.enabled`, d.volumeSpike.enabled),
        factor: setting(`${at}.volume_spike.factor`, d.volumeSpike.factor),
        minRequests: setting(`${at}.volume_spike.min_requests`, d.volumeSpike.minRequests),
        baselineMinutes: setting(`${at}.volume_spike.baseline_minutes`, d.volumeSpike.baselineMinutes),
      },
      errorRate: {
        enabled: setting(`${at}.error_rate.enabled`, d.errorRate.enabled),
        threshold: setting(`${at}.error_rate.threshold`, d.errorRate.threshold),
        minRequests: setting(`${at}.error_rate.min_requests`, d.errorRate.minRequests),
        windowMinutes: setting(`${at}.error_rate.window_minutes`, d.errorRate.windowMinutes),
      },
    },
  };
}

function isObject(value: unknown): value is Input {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One route, or undefined when anything in it is wrong (its problems are reported). */
function routeOf(check: Checker, input: unknown, path: string): RouteRule | undefined {
  if (!isObject(input)) return undefined; // the schema reported it
  const route = input;
  const methods = check.methods(route.method, `${path}.method`);
  check.pathPattern(route.path, `${path}.path`);
  const bodySchema = check.bodySchema(route.body_schema, `${path}.body_schema`, methods);
  if (!check.clean(path)) return undefined;
  return {
    methods,
    path: route.path as string,
    scopes: route.scopes as string[],
    maxBodyBytes: (route.max_body_bytes as number | undefined) ?? null,
    bodySchema,
    allowPathParameters: route.allow_path_parameters === true,
  };
}

function checkDuplicateRoutes(
  check: Checker,
  routes: readonly (RouteRule | undefined)[],
  caseSensitive: boolean,
): void {
  const seen = new Set<string>();
  const foldHint = caseSensitive
    ? ''
    : ' (paths that differ only by letter case are one route unless paths.case_sensitive is true)';
  for (const route of routes) {
    if (route === undefined) continue; // already reported
    const pattern = route.path.replace(/\{[^}]*\}/g, '{}');
    for (const method of route.methods ?? ['*']) {
      const key = `${method} ${caseSensitive ? pattern : pattern.toLowerCase()}`;
      if (seen.has(key))
        check.fail('routes', `${method} ${route.path} is declared more than once${foldHint}`, true);
      seen.add(key);
    }
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
