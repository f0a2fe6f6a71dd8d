import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { EnvReader } from '../config/env-reader.ts';
import { checkGatewayFile, DEFAULT_GATEWAY_FILE, findGatewayFile, loadGatewayFile } from './config-file.ts';
import { readGatewayConfig } from './gateway-config.ts';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-gateway-config-'));
const write = (name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

describe('gateway config file', () => {
  it('reads routes, upstreams, limits and rate limits from YAML', () => {
    const file = write(
      'full.yaml',
      `
environments:
  production:
    upstream: https://api.internal.example:8443/base/
    hosts: [api.example.com]
  sandbox:
    upstream: http://127.0.0.1:9000
routes:
  - method: GET
    path: /v1/orders/{id}
    scopes: [orders:read]
  - method: [POST, PUT]
    path: /v1/orders
    scopes: [orders:write]
    max_body_bytes: 65536
  - method: "*"
    path: /v1/status/**
    scopes: []
rate_limits:
  per_credential: { requests_per_second: 5, burst: 10 }
  per_ip: null
limits:
  max_body_bytes: 2048
plain_http:
  revoke_exposed_credentials: true
`,
    );
    const { value, problems } = loadGatewayFile(file);
    assert.deepEqual(problems, []);
    assert.equal(value.environments.production.upstream, 'https://api.internal.example:8443/base');
    assert.deepEqual(value.environments.production.hosts, ['api.example.com']);
    assert.deepEqual(value.routes[1], {
      methods: ['POST', 'PUT'],
      path: '/v1/orders',
      scopes: ['orders:write'],
      maxBodyBytes: 65536,
      bodySchema: null,
      allowPathParameters: false,
    });
    assert.equal(value.routes[2]?.methods, null);
    assert.deepEqual(value.rateLimits, { perCredential: { requests_per_second: 5, burst: 10 }, perIp: null });
    assert.equal(value.limits.maxBodyBytes, 2048);
    assert.equal(value.limits.maxHeaders, DEFAULT_GATEWAY_FILE.limits.maxHeaders);
    assert.equal(value.plainHttp.revokeExposedCredentials, true);
    assert.ok(Object.isFrozen(value.routes[0]));
  });

  it('reads the same settings from JSON', () => {
    const file = write('gw.json', JSON.stringify({ routes: [{ method: 'GET', path: '/a', scopes: ['x'] }] }));
    const { value, problems } = loadGatewayFile(file);
    assert.deepEqual(problems, []);
    assert.equal(value.routes[0]?.path, '/a');
  });

  it('names the file and the path of every problem at once', () => {
    const { problems } = checkGatewayFile(
      {
        routes: [
          { method: 'GTE', path: 'v1/orders', scopes: 'orders:read' },
          { path: '/ok', scopes: ['a b'] },
          { method: 'GET', path: '/x/{id', scopes: [], max_body_bytes: -1 },
        ],
        environments: { production: { upstream: 'ftp://x' }, staging: {} },
        rate_limits: { per_ip: { requests_per_second: 0 } },
        limits: { max_headers: 'many' },
        upstream: 'https://api',
      },
      'gatehouse.config.yaml',
    );
    const expected = [
      'gatehouse.config.yaml: routes[0].method "GTE" is not an HTTP method (GET, HEAD, POST, ',
      'gatehouse.config.yaml: routes[0].path must start with "/"',
      'gatehouse.config.yaml: routes[0].scopes must be a list',
      'gatehouse.config.yaml: routes[1].method is required',
      'gatehouse.config.yaml: routes[1].scopes[0] must be 1-100 characters',
      'gatehouse.config.yaml: routes[2].path "{id" is not a valid {name} segment',
      'gatehouse.config.yaml: routes[2].max_body_bytes must be an integer',
      'gatehouse.config.yaml: environments.production.upstream must be an http:// or https:// URL',
      'gatehouse.config.yaml: environments.staging is not a known setting',
      'gatehouse.config.yaml: rate_limits.per_ip.requests_per_second must be a number above 0',
      'gatehouse.config.yaml: limits.max_headers must be an integer',
      'gatehouse.config.yaml: upstream is not a known setting',
    ];
    for (const start of expected) {
      assert.ok(
        problems.some((p) => p.startsWith(start)),
        `missing "${start}" in:\n${problems.join('\n')}`,
      );
    }
  });

  it('reads the in-flight caps (null for none) and the buffered body size, with defaults when absent', () => {
    const set = checkGatewayFile(
      { limits: { max_in_flight_per_credential: 8, max_in_flight_per_ip: null, buffered_body_bytes: 0 } },
      'gatehouse.config.yaml',
    );
    assert.deepEqual(set.problems, []);
    assert.equal(set.value.limits.maxInFlightPerCredential, 8);
    assert.equal(set.value.limits.maxInFlightPerIp, null);
    assert.equal(set.value.limits.bufferedBodyBytes, 0);
    const absent = checkGatewayFile({}, 'gatehouse.config.yaml').value.limits;
    assert.equal(absent.maxInFlightPerCredential, 64);
    assert.equal(absent.maxInFlightPerIp, 96);
    assert.equal(absent.bufferedBodyBytes, 16384);
    const { problems } = checkGatewayFile(
      { limits: { max_in_flight_per_credential: 0, max_in_flight_per_ip: '10' } },
      'gatehouse.config.yaml',
    );
    assert.deepEqual(problems, [
      'gatehouse.config.yaml: limits.max_in_flight_per_credential must be an integer from 1 to 1000000, or null for no cap',
      'gatehouse.config.yaml: limits.max_in_flight_per_ip must be an integer from 1 to 1000000, or null for no cap',
    ]);
  });

  it('refuses secrets: credentials in an upstream URL and secret-looking settings', () => {
    const { problems } = checkGatewayFile(
      { environments: { sandbox: { upstream: 'https://user:pw@api.internal' } }, api_key: 'x' },
      'gw.yaml',
    );
    assert.ok(problems.some((p) => /upstream must not contain credentials/.test(p)));
    assert.ok(problems.some((p) => /api_key is not a known setting \(secrets never go in this file/.test(p)));
    assert.ok(!problems.some((p) => p.includes('pw')));
  });

  it('refuses the same route twice and a host claimed by both environments', () => {
    const { problems } = checkGatewayFile(
      {
        routes: [
          { method: 'GET', path: '/a/{x}', scopes: [] },
          { method: ['GET'], path: '/a/{y}', scopes: [] },
        ],
        environments: { production: { hosts: ['api.example.com'] }, sandbox: { hosts: ['api.example.com'] } },
      },
      'gw.yaml',
    );
    assert.ok(problems.some((p) => /GET \/a\/\{y\} is declared more than once/.test(p)));
    assert.ok(problems.some((p) => /host api.example.com is listed for both environments/.test(p)));
  });

  it('reads a body schema inline or from a JSON file beside the gateway file', () => {
    const schema = { type: 'object', required: ['amount'], properties: { amount: { type: 'integer' } } };
    write('order.schema.json', JSON.stringify(schema));
    const file = write(
      'gw-schema.yaml',
      `routes:
  - { method: POST, path: /v1/orders, scopes: [], body_schema: order.schema.json }
  - method: PUT
    path: /v1/orders/{id}
    scopes: []
    body_schema: { type: object }
`,
    );
    const { value, problems } = loadGatewayFile(file);
    assert.deepEqual(problems, []);
    assert.deepEqual(value.routes[0]?.bodySchema, schema);
    assert.deepEqual(value.routes[1]?.bodySchema, { type: 'object' });
  });

  it('refuses a body schema that is unreadable, not a JSON Schema, or on a method without a body', () => {
    const { problems } = checkGatewayFile(
      {
        routes: [
          { method: 'POST', path: '/a', scopes: [], body_schema: 'missing.json' },
          { method: 'POST', path: '/b', scopes: [], body_schema: { type: 'no-such-type' } },
          { method: 'POST', path: '/c', scopes: [], body_schema: ['object'] },
          { method: 'GET', path: '/d', scopes: [], body_schema: { type: 'object' } },
          { method: '*', path: '/e', scopes: [], body_schema: { type: 'object' } },
        ],
      },
      'gw.yaml',
      dir,
    );
    assert.equal(problems.length, 5, problems.join('\n'));
    assert.match(
      problems[0] ?? '',
      /routes\[0\]\.body_schema names .*missing\.json, which cannot be read \(ENOENT\)/,
    );
    assert.match(problems[1] ?? '', /routes\[1\]\.body_schema is not a valid JSON Schema/);
    assert.match(problems[2] ?? '', /routes\[2\]\.body_schema must be a JSON Schema object/);
    assert.match(problems[3] ?? '', /routes\[3\]\.body_schema needs methods that carry a body/);
    assert.match(problems[4] ?? '', /routes\[4\]\.body_schema needs methods that carry a body/);
  });

  it('reports YAML and JSON syntax errors with where they are', () => {
    assert.match(
      loadGatewayFile(write('bad.yaml', 'routes:\n  - method: GET\n   path: /x\n')).problems[0] ?? '',
      /bad\.yaml: not valid YAML at line \d+/,
    );
    assert.match(
      loadGatewayFile(write('bad.json', '{"routes": [}')).problems[0] ?? '',
      /bad\.json: not valid JSON/,
    );
    assert.match(loadGatewayFile(join(dir, 'missing.yaml')).problems[0] ?? '', /cannot be read \(ENOENT\)/);
  });

  it('accepts the example file shipped with Gatehouse', () => {
    const example = new URL('../../gatehouse.config.example.yaml', import.meta.url).pathname;
    const { value, problems } = loadGatewayFile(example);
    assert.deepEqual(problems, []);
    assert.ok(value.routes.length > 0);
  });

  it('reads methods in any letter case and refuses a method that does not exist, naming its place', () => {
    const { value, problems } = checkGatewayFile(
      {
        routes: [
          { method: 'GTE', path: '/a', scopes: [] },
          { method: ['get', 'DLEETE'], path: '/b', scopes: [] },
          { method: ['patch', 'Head'], path: '/c', scopes: [] },
          { method: [], path: '/d', scopes: [] },
        ],
      },
      'gw.yaml',
    );
    assert.deepEqual(problems, [
      'gw.yaml: routes[0].method "GTE" is not an HTTP method (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, TRACE, CONNECT, or "*" for any)',
      'gw.yaml: routes[1].method[1] "DLEETE" is not an HTTP method (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, TRACE, CONNECT, or "*" for any)',
      'gw.yaml: routes[3].method must name at least one method (or be "*")',
    ]);
    assert.deepEqual(value.routes[0]?.methods, ['PATCH', 'HEAD']);
  });

  it('reads paths.case_sensitive and routes[].allow_path_parameters, and refuses other values', () => {
    const read = checkGatewayFile(
      {
        paths: { case_sensitive: true },
        routes: [{ method: 'GET', path: '/v1/cars/**', scopes: [], allow_path_parameters: true }],
      },
      'gw.yaml',
    );
    assert.deepEqual(read.problems, []);
    assert.equal(read.value.paths.caseSensitive, true);
    assert.equal(read.value.routes[0]?.allowPathParameters, true);
    assert.equal(DEFAULT_GATEWAY_FILE.paths.caseSensitive, false);
    const { problems } = checkGatewayFile(
      {
        paths: { case_sensitive: 'yes', fold: true },
        routes: [
          { method: 'GET', path: '/a', scopes: [], allow_path_parameters: 1 },
          { method: 'GET', path: '/a;v=1', scopes: [] },
        ],
      },
      'gw.yaml',
    );
    assert.deepEqual(problems, [
      'gw.yaml: paths.fold is not a known setting (allowed: case_sensitive)',
      'gw.yaml: paths.case_sensitive must be true or false',
      'gw.yaml: routes[0].allow_path_parameters must be true or false',
      'gw.yaml: routes[1].path must not contain ";" (path parameters are cut off before matching: see allow_path_parameters)',
    ]);
  });

  it('treats paths that differ only by letter case as one route unless the upstream is case-sensitive', () => {
    const routes = [
      { method: 'GET', path: '/v1/Items/{id}', scopes: ['a'] },
      { method: 'GET', path: '/v1/items/{x}', scopes: [] },
    ];
    const folded = checkGatewayFile({ routes }, 'gw.yaml').problems;
    assert.equal(folded.length, 1);
    assert.match(
      folded[0] ?? '',
      /GET \/v1\/items\/\{x\} is declared more than once \(paths that differ only by letter case/,
    );
    assert.deepEqual(checkGatewayFile({ routes, paths: { case_sensitive: true } }, 'gw.yaml').problems, []);
  });

  it('accepts the gateway file shown in the README, as written', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('### The gateway file'));
    const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    assert.ok(block, 'the README has a yaml block in "The gateway file"');
    const readmeDir = mkdtempSync(join(tmpdir(), 'gatehouse-readme-gateway-'));
    for (const [, schema] of block.matchAll(/body_schema: ([\w./-]+\.json)/g)) {
      mkdirSync(dirname(join(readmeDir, schema as string)), { recursive: true });
      writeFileSync(join(readmeDir, schema as string), JSON.stringify({ type: 'object' }));
    }
    writeFileSync(join(readmeDir, 'gatehouse.config.yaml'), block);
    const { value, problems } = loadGatewayFile(join(readmeDir, 'gatehouse.config.yaml'));
    assert.deepEqual(problems, []);
    assert.ok(value.routes.some((route) => route.path === '/v1/orders/{id}'));
  });

  it('finds ./gatehouse.config.json or .yaml when no file is named, and nothing when none exists', () => {
    const empty = mkdtempSync(join(tmpdir(), 'gatehouse-no-config-'));
    assert.equal(findGatewayFile(undefined, empty), null);
    writeFileSync(join(empty, 'gatehouse.config.yaml'), 'routes: []\n');
    assert.equal(findGatewayFile(undefined, empty), join(empty, 'gatehouse.config.yaml'));
    assert.equal(findGatewayFile('other.json', empty), join(empty, 'other.json'));
  });
});

describe('gateway environment variables', () => {
  it('let GATEHOUSE_UPSTREAM_* win over the file and validate proxies and ports', () => {
    const file = write('env.yaml', 'environments:\n  sandbox:\n    upstream: http://file.internal\n');
    const read = new EnvReader({
      GATEHOUSE_CONFIG_FILE: file,
      GATEHOUSE_UPSTREAM_SANDBOX: 'http://env.internal:9000/',
      GATEHOUSE_TRUSTED_PROXIES: '10.0.0.0/8, ::1',
      GATEHOUSE_HTTP_PORT: '8080',
    });
    const config = readGatewayConfig(read, dir);
    assert.deepEqual(read.problems, []);
    assert.equal(config.environments.sandbox.upstream, 'http://env.internal:9000');
    assert.equal(config.environments.production.upstream, null);
    assert.deepEqual(config.trustedProxies, ['10.0.0.0/8', '::1']);
    assert.equal(config.httpPort, 8080);
    assert.equal(config.configFile, file);
  });

  it('name the variable when a value is wrong', () => {
    const read = new EnvReader({
      GATEHOUSE_UPSTREAM_PRODUCTION: 'api.internal',
      GATEHOUSE_TRUSTED_PROXIES: '10.0.0.0/33',
      GATEHOUSE_HTTP_PORT: 'eighty',
      GATEHOUSE_CONFIG_FILE: join(dir, 'nope.yaml'),
    });
    readGatewayConfig(read, dir);
    const text = read.problems.join('\n');
    assert.match(text, /GATEHOUSE_UPSTREAM_PRODUCTION must be an absolute http/);
    assert.match(text, /GATEHOUSE_TRUSTED_PROXIES: "10.0.0.0\/33"/);
    assert.match(text, /GATEHOUSE_HTTP_PORT must be an integer/);
    assert.match(text, /GATEHOUSE_CONFIG_FILE: .*nope\.yaml cannot be read/);
  });

  it('without any file or variable, routes nothing and proxies nowhere (deny by default)', () => {
    const read = new EnvReader({});
    const config = readGatewayConfig(read, mkdtempSync(join(tmpdir(), 'gatehouse-empty-')));
    assert.deepEqual(read.problems, []);
    assert.equal(config.configFile, null);
    assert.equal(config.routes.length, 0);
    assert.equal(config.httpPort, null);
  });
});
