import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'node:tls';
import { Agent, request } from 'undici';
import { generateCredential } from '../../src/crypto/key-format.ts';
import { ARTIFACTS_DIR, recordSecret } from '../support/artifacts.ts';
import { eventually } from '../support/eventually.ts';
import { newKey as issueKey, newIntegrator } from '../support/fixtures.ts';
import type { HttpResponse } from '../support/https-client.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { type RecordingUpstream, startRecordingUpstream } from '../support/upstream.ts';

/** The logs of this run's gateway test servers, and their request lines. */
function readGatewayLogs(): { logs: string; lines: string[] } {
  const logs = readdirSync(join(ARTIFACTS_DIR, 'logs'))
    .filter((file) => file.startsWith(`gateway-${process.pid}-`))
    .map((file) => readFileSync(join(ARTIFACTS_DIR, 'logs', file), 'utf8'))
    .join('\n');
  return { logs, lines: logs.split('\n').filter((line) => line.includes('"msg":"gateway request"')) };
}

const GATEWAY_CONFIG = `
environments:
  production:
    hosts: [api.gatehouse.test]
  sandbox:
    hosts: [sandbox.gatehouse.test]
routes:
  - method: GET
    path: /v1/orders
    scopes: [orders:read]
  - method: GET
    path: /v1/orders/{id}
    scopes: [orders:read]
  - method: POST
    path: /v1/orders
    scopes: [orders:write]
    max_body_bytes: 1024
  - method: POST
    path: /v1/refunds
    scopes: []
    max_body_bytes: 256
    body_schema:
      type: object
      required: [order_id, amount]
      additionalProperties: false
      properties:
        order_id: { type: string, pattern: "^ord_[0-9a-z]+$" }
        amount: { type: integer, minimum: 1 }
        reason: { type: string, maxLength: 100 }
rate_limits:
  per_credential: { requests_per_second: 1000, burst: 1000 }
  per_ip: { requests_per_second: 10000, burst: 10000 }
limits:
  headers_timeout_ms: 1000
  request_timeout_ms: 5000
  max_headers: 50
plain_http:
  revoke_exposed_credentials: true
`;

interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer | Readable;
  /** Connect from 127.0.0.2: the address this deployment trusts as its TLS proxy. */
  viaProxy?: boolean;
}

describe('gateway: the HTTPS data path end to end', () => {
  let server: TestServer;
  let sandbox: RecordingUpstream;
  let production: RecordingUpstream;
  let direct: Agent;
  let proxy: Agent;
  let integratorId: string;
  const sentSecrets: string[] = [];

  before(async () => {
    sandbox = await startRecordingUpstream('sandbox');
    production = await startRecordingUpstream('production');
    server = await startTestServer({
      name: 'gateway',
      gatewayFile: GATEWAY_CONFIG,
      env: {
        GATEHOUSE_UPSTREAM_SANDBOX: sandbox.url,
        GATEHOUSE_UPSTREAM_PRODUCTION: production.url,
        GATEHOUSE_HTTP_PORT: '0',
        GATEHOUSE_TRUSTED_PROXIES: '127.0.0.2/32',
      },
    });
    direct = new Agent({ connect: { ca: server.ca }, keepAliveTimeout: 1000 });
    proxy = new Agent({ connect: { ca: server.ca }, localAddress: '127.0.0.2', keepAliveTimeout: 1000 });
    integratorId = await newIntegrator(server, { name: 'Gateway Corp' });
  });
  after(async () => {
    await direct?.close();
    await proxy?.close();
    await server?.close();
    await sandbox?.close();
    await production?.close();
  });

  const newKey = async (extra: Record<string, unknown> = {}): Promise<{ id: string; key: string }> => {
    const issued = await issueKey(server, {
      integrator_id: integratorId,
      name: 'gateway test',
      scopes: ['orders:read'],
      ...extra,
    });
    sentSecrets.push(issued.key);
    return issued;
  };

  const send = async (
    path: string,
    options: SendOptions = {},
    base = server.dataUrl,
  ): Promise<HttpResponse> => {
    if (options.headers?.host !== undefined) return sendWithHost(path, options);
    const response = await request(`${base}${path}`, {
      method: (options.method ?? 'GET') as 'GET',
      headers: options.headers ?? {},
      body: options.body ?? null,
      dispatcher: options.viaProxy ? proxy : direct,
    });
    const text = await response.body.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.statusCode, headers: response.headers, text, json };
  };

  /**
   * undici would take a Host header as the TLS server name; node:https lets the certificate be checked
   * against `localhost` (which it names) while the request says another host.
   */
  const sendWithHost = (path: string, options: SendOptions): Promise<HttpResponse> =>
    new Promise((resolve, reject) => {
      const url = new URL(server.dataUrl);
      const outgoing = httpsRequest(
        {
          host: url.hostname,
          port: url.port,
          path,
          method: options.method ?? 'GET',
          headers: options.headers,
          ca: server.ca,
          servername: 'localhost',
          agent: false,
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            text += chunk;
          });
          response.on('end', () => {
            let json: unknown;
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
            resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json });
          });
        },
      );
      outgoing.on('error', reject);
      outgoing.end(options.body as string | undefined);
    });

  /** A unique marker for one request, so we can ask whether the upstream ever saw it. */
  const probe = () => `probe=${randomUUID()}`;
  const seenUpstream = (marker: string) =>
    [...sandbox.received, ...production.received].filter((r) => r.url.includes(marker)).length;

  const assertProblem = (response: HttpResponse, status: number, code: string) => {
    assert.equal(response.status, status, response.text);
    assert.equal(response.headers['content-type'], 'application/problem+json');
    assert.equal(response.json.code, code);
    assert.equal(response.json.status, status);
    assert.equal(response.json.request_id, response.headers['gatehouse-request-id']);
    assert.equal(response.headers['strict-transport-security'], 'max-age=31536000');
  };

  it('a valid key reaches the upstream without the key and with the identity headers', async () => {
    const { id, key } = await newKey();
    const marker = probe();
    const response = await send(`/v1/orders/42?${marker}`, {
      headers: { 'x-api-key': key, accept: 'application/json', 'user-agent': 'gateway-e2e' },
    });
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(response.json, { upstream: 'sandbox', path: `/v1/orders/42?${marker}` });
    assert.equal(response.headers['strict-transport-security'], 'max-age=31536000');
    assert.match(String(response.headers['gatehouse-request-id']), /^[0-9a-f-]{36}$/);
    assert.equal(response.headers['ratelimit-policy'], '"credential";q=1000;w=1');
    assert.match(String(response.headers.ratelimit), /^"credential";r=\d+;t=\d+$/);
    assert.equal(
      response.headers['x-upstream-hop'],
      undefined,
      'a field the upstream named in Connection is hop-by-hop',
    );

    const received = sandbox.received.find((r) => r.url.includes(marker));
    assert.ok(received);
    assert.equal(received.headers['gatehouse-integrator-id'], integratorId);
    assert.equal(received.headers['gatehouse-credential-id'], id);
    assert.equal(received.headers['gatehouse-scopes'], 'orders:read');
    assert.equal(received.headers['gatehouse-environment'], 'sandbox');
    assert.equal(received.headers['gatehouse-request-id'], response.headers['gatehouse-request-id']);
    assert.equal(received.headers['x-forwarded-proto'], 'https');
    assert.equal(received.headers.accept, 'application/json');
    assert.equal(received.headers['x-api-key'], undefined);
    assert.equal(received.headers.authorization, undefined);
    assert.ok(!received.rawHeaders.some((value) => value.includes(key)), 'the key reached the upstream');

    const bearer = await send(`/v1/orders?${probe()}`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(bearer.status, 200, bearer.text);
    assert.ok(!sandbox.received.at(-1)?.rawHeaders.some((value) => value.includes(key)));
  });

  it('identity headers a client sends itself never reach the upstream', async () => {
    const { id, key } = await newKey();
    const marker = probe();
    const response = await send(`/v1/orders?${marker}`, {
      headers: {
        'x-api-key': key,
        'gatehouse-integrator-id': 'someone-else',
        'gatehouse-scopes': 'admin:everything',
        'gatehouse-environment': 'production',
        'x-forwarded-for': '203.0.113.66',
      },
    });
    assert.equal(response.status, 200, response.text);
    const received = sandbox.received.find((r) => r.url.includes(marker));
    assert.equal(received?.headers['gatehouse-integrator-id'], integratorId);
    assert.equal(received?.headers['gatehouse-credential-id'], id);
    assert.equal(received?.headers['gatehouse-scopes'], 'orders:read');
    assert.equal(received?.headers['gatehouse-environment'], 'sandbox');
    assert.equal(received?.headers['x-forwarded-for'], '127.0.0.1');
  });

  it('each refusal gets its status and problem code, and the upstream never sees the request', async () => {
    const valid = await newKey();
    const revoked = await newKey();
    assert.equal(
      (await server.admin('POST', `/admin/v1/keys/${revoked.id}/revoke`, { body: {} })).status,
      200,
    );
    const expiresAt = Date.now() + 1500;
    const expiring = await newKey({ expires_at: new Date(expiresAt).toISOString() });
    const production = await newKey({ environment: 'production' });
    const allowlisted = await newKey({ allowed_ips: ['198.51.100.0/24'] });
    const unknown = recordSecret(generateCredential('gate', 'test'));
    const typo = recordSecret(
      `${valid.key.slice(0, 20)}${valid.key[20] === 'A' ? 'B' : 'A'}${valid.key.slice(21)}`,
    );
    sentSecrets.push(unknown, typo);
    await sleep(Math.max(0, expiresAt + 100 - Date.now()));

    const cases: {
      name: string;
      path?: string;
      options: SendOptions;
      status: number;
      code: string;
      challenge?: RegExp;
    }[] = [
      {
        name: 'missing',
        options: {},
        status: 401,
        code: 'credential_missing',
        challenge: /^Bearer realm="gatehouse"$/,
      },
      {
        name: 'malformed header',
        options: { headers: { authorization: `Basic ${Buffer.from(`x:${valid.key}`).toString('base64')}` } },
        status: 400,
        code: 'invalid_request',
        challenge: /error="invalid_request"/,
      },
      {
        name: 'two credentials',
        options: { headers: { 'x-api-key': valid.key, authorization: `Bearer ${valid.key}` } },
        status: 400,
        code: 'invalid_request',
      },
      {
        name: 'malformed key',
        options: { headers: { 'x-api-key': typo } },
        status: 401,
        code: 'key_malformed',
        challenge: /error="invalid_token"/,
      },
      {
        name: 'unknown key',
        options: { headers: { 'x-api-key': unknown } },
        status: 401,
        code: 'key_unknown',
        challenge: /error="invalid_token"/,
      },
      {
        name: 'not a key at all',
        options: { headers: { authorization: 'Bearer abc.def.ghi' } },
        status: 401,
        code: 'invalid_token',
      },
      {
        name: 'revoked',
        options: { headers: { 'x-api-key': revoked.key } },
        status: 401,
        code: 'key_revoked',
      },
      {
        name: 'expired',
        options: { headers: { authorization: `Bearer ${expiring.key}` } },
        status: 401,
        code: 'key_expired',
      },
      {
        name: 'wrong environment',
        options: { headers: { 'x-api-key': production.key, host: 'sandbox.gatehouse.test' } },
        status: 403,
        code: 'wrong_environment',
      },
      {
        name: 'IP not allowed',
        options: { headers: { 'x-api-key': allowlisted.key } },
        status: 403,
        code: 'ip_not_allowed',
      },
      {
        name: 'scope missing',
        path: '/v1/orders',
        options: {
          method: 'POST',
          headers: { 'x-api-key': valid.key, 'content-type': 'application/json' },
          body: '{}',
        },
        status: 403,
        code: 'insufficient_scope',
        challenge: /error="insufficient_scope", scope="orders:write"/,
      },
      {
        name: 'unmatched route',
        path: '/v1/customers',
        options: { headers: { 'x-api-key': valid.key } },
        status: 404,
        code: 'route_not_found',
      },
      {
        name: 'unmatched method',
        path: '/v1/orders/7',
        options: { method: 'DELETE', headers: { 'x-api-key': valid.key } },
        status: 404,
        code: 'route_not_found',
      },
      {
        name: 'encoded dot segment',
        path: '/v1/orders/%2e%2e%2fadmin',
        options: { headers: { 'x-api-key': valid.key } },
        status: 400,
        code: 'invalid_path',
      },
    ];
    for (const c of cases) {
      const marker = probe();
      const response = await send(`${c.path ?? '/v1/orders'}?${marker}`, c.options);
      assertProblem(response, c.status, c.code);
      if (c.challenge) assert.match(String(response.headers['www-authenticate']), c.challenge, c.name);
      if (c.status === 401)
        assert.ok(response.headers['www-authenticate'], `${c.name}: 401 without WWW-Authenticate`);
      assert.equal(seenUpstream(marker), 0, `${c.name} reached the upstream`);
    }
  });

  it('over the rate limit: 429 with Retry-After and RateLimit headers, and the upstream sees only the admitted', async () => {
    const { key } = await newKey({ rate_limit: { requests_per_second: 0.2, burst: 2 } });
    const markers = [probe(), probe(), probe()];
    const responses = [];
    for (const marker of markers)
      responses.push(await send(`/v1/orders?${marker}`, { headers: { 'x-api-key': key } }));
    assert.deepEqual(
      responses.map((r) => r.status),
      [200, 200, 429],
    );
    const refused = responses[2] as HttpResponse;
    assertProblem(refused, 429, 'rate_limited');
    assert.ok(Number(refused.headers['retry-after']) >= 1);
    assert.equal(refused.headers['ratelimit-policy'], '"credential";q=2;w=10');
    assert.equal(refused.headers.ratelimit, `"credential";r=0;t=${refused.headers['retry-after']}`);
    assert.equal(responses[1]?.headers.ratelimit?.toString().startsWith('"credential";r=0;'), true);
    assert.deepEqual(markers.map(seenUpstream), [1, 1, 0]);
  });

  it('a body over the route limit gets 413, declared or streamed, and the upstream never gets it whole', async () => {
    const { key } = await newKey({ scopes: ['orders:write'] });
    const headers = { 'x-api-key': key, 'content-type': 'application/json' };
    const small = JSON.stringify({ item: 'tea', quantity: 2 });
    const fits = probe();
    const accepted = await send(`/v1/orders?${fits}`, { method: 'POST', headers, body: small });
    assert.equal(accepted.status, 200, accepted.text);
    assert.equal(sandbox.received.find((r) => r.url.includes(fits))?.body, small);

    const declared = probe();
    assertProblem(
      await send(`/v1/orders?${declared}`, { method: 'POST', headers, body: Buffer.alloc(4096, 'a') }),
      413,
      'body_too_large',
    );
    const streamed = probe();
    const chunks = function* () {
      for (let i = 0; i < 16; i++) yield Buffer.alloc(256, 'b');
    };
    assertProblem(
      await send(`/v1/orders?${streamed}`, { method: 'POST', headers, body: Readable.from(chunks()) }),
      413,
      'body_too_large',
    );
    assert.equal(seenUpstream(declared), 0);
    assert.equal(seenUpstream(streamed), 0);
  });

  it('a route with a body schema forwards only matching JSON bodies, byte for byte', async () => {
    const { key } = await newKey();
    const json = { 'x-api-key': key, 'content-type': 'application/json' };
    const valid = '{"order_id":"ord_42",  "amount":1200}';
    const marker = probe();
    const accepted = await send(`/v1/refunds?${marker}`, { method: 'POST', headers: json, body: valid });
    assert.equal(accepted.status, 200, accepted.text);
    assert.equal(sandbox.received.find((r) => r.url.includes(marker))?.body, valid);
    const chunkedMarker = probe();
    const chunked = await send(`/v1/refunds?${chunkedMarker}`, {
      method: 'POST',
      headers: { ...json, 'content-type': 'application/merge-patch+json; charset=utf-8' },
      body: Readable.from([Buffer.from(valid.slice(0, 10)), Buffer.from(valid.slice(10))]),
    });
    assert.equal(chunked.status, 200, chunked.text);
    assert.equal(sandbox.received.find((r) => r.url.includes(chunkedMarker))?.body, valid);

    const refused: { body: string; headers?: Record<string, string>; status: number; code: string }[] = [
      { body: valid, headers: { 'content-type': 'text/plain' }, status: 415, code: 'unsupported_media_type' },
      { body: '{"order_id": "ord_42", "amount": 12', status: 400, code: 'malformed_json' },
      { body: '', status: 400, code: 'malformed_json' },
      { body: `${'['.repeat(70)}${']'.repeat(70)}`, status: 400, code: 'malformed_json' },
      { body: '{"order_id":"42","amount":0,"note":"x"}', status: 400, code: 'validation_failed' },
      {
        body: JSON.stringify({ order_id: 'ord_1', amount: 1, reason: 'x'.repeat(300) }),
        status: 413,
        code: 'body_too_large',
      },
    ];
    for (const c of refused) {
      const marker = probe();
      const response = await send(`/v1/refunds?${marker}`, {
        method: 'POST',
        headers: { ...json, ...c.headers },
        body: c.body,
      });
      assertProblem(response, c.status, c.code);
      assert.equal(seenUpstream(marker), 0, `${c.code} reached the upstream`);
    }
    const invalid = await send(`/v1/refunds?${probe()}`, {
      method: 'POST',
      headers: json,
      body: '{"order_id":"42","amount":0,"note":"x"}',
    });
    assert.deepEqual(invalid.json.errors.map((e: { field: string }) => e.field).sort(), [
      '/amount',
      '/note',
      '/order_id',
    ]);
    assert.ok(!invalid.text.includes('"42"'), 'a value of the body was echoed');
  });

  it('a request refused before its body is read closes the connection instead of reading the body', async () => {
    const marker = probe();
    const refused = await send(`/v1/orders?${marker}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.alloc(256 * 1024, 'x'),
    });
    assertProblem(refused, 401, 'credential_missing');
    assert.equal(refused.headers.connection, 'close');
    const bodiless = await send(`/v1/orders?${probe()}`);
    assert.equal(bodiless.headers.connection, 'keep-alive');
    assert.equal(seenUpstream(marker), 0);
  });

  it('plain HTTP is refused before any check; a credential sent there is recorded as exposed and revoked', async () => {
    const { id, key } = await newKey();
    const plainUrl = server.gatehouse.plainHttpUrl;
    assert.ok(plainUrl);
    const marker = probe();
    const refused = await send(`/v1/orders?${marker}`, { headers: { 'x-api-key': key } }, plainUrl);
    assert.equal(refused.status, 403);
    assert.equal(refused.json.code, 'https_required');
    assert.equal(refused.headers['content-type'], 'application/problem+json');
    assert.equal(refused.headers.location, undefined, 'never a redirect');
    assert.equal(seenUpstream(marker), 0);

    const event: { credential_id: string; details: Record<string, unknown> } = await eventually(
      async () =>
        (
          await server.admin(
            'GET',
            `/admin/v1/security-events?event=credential_over_plain_http&credential_id=${id}`,
          )
        ).json.data[0],
      { what: 'the credential_over_plain_http security event' },
    );
    await eventually(
      async () => (await server.admin('GET', `/admin/v1/keys/${id}`)).json.status === 'revoked',
      {
        what: 'the key exposed over plain HTTP to be revoked',
      },
    );
    assert.equal(event.credential_id, id);
    assert.equal(event.details.revoked, true);
    assert.ok(!JSON.stringify(event).includes(key));
    assertProblem(await send('/v1/orders', { headers: { 'x-api-key': key } }), 401, 'key_revoked');
  });

  it('X-Forwarded-Proto: http from the trusted proxy is refused; from any other peer it is ignored', async () => {
    const { id, key } = await newKey();
    const marker = probe();
    const viaProxy = await send(`/v1/orders?${marker}`, {
      headers: { 'x-api-key': key, 'x-forwarded-proto': 'http' },
      viaProxy: true,
    });
    assertProblem(viaProxy, 403, 'https_required');
    assert.equal(seenUpstream(marker), 0);
    // The key crossed the client's network in clear text: it is treated as exposed (and revoked here).
    await eventually(
      async () => (await server.admin('GET', `/admin/v1/keys/${id}`)).json.status === 'revoked',
      {
        what: 'the key sent through a plain-HTTP proxy hop to be revoked',
      },
    );

    const other = await newKey();
    const ignored = await send(`/v1/orders?${probe()}`, {
      headers: { 'x-api-key': other.key, 'x-forwarded-proto': 'http' },
    });
    assert.equal(ignored.status, 200, ignored.text);
    const https = await send(`/v1/orders?${probe()}`, {
      headers: { 'x-api-key': other.key, 'x-forwarded-proto': 'https' },
      viaProxy: true,
    });
    assert.equal(https.status, 200, https.text);
  });

  it('the client address comes from X-Forwarded-For only through the trusted proxy (IP allowlists)', async () => {
    const { key } = await newKey({ allowed_ips: ['198.51.100.0/24'] });
    const marker = probe();
    const throughProxy = await send(`/v1/orders?${marker}`, {
      headers: { 'x-api-key': key, 'x-forwarded-for': '198.51.100.7' },
      viaProxy: true,
    });
    assert.equal(throughProxy.status, 200, throughProxy.text);
    assert.equal(
      sandbox.received.find((r) => r.url.includes(marker))?.headers['x-forwarded-for'],
      '198.51.100.7',
    );
    const spoofed = await send(`/v1/orders?${probe()}`, {
      headers: { 'x-api-key': key, 'x-forwarded-for': '198.51.100.7' },
    });
    assertProblem(spoofed, 403, 'ip_not_allowed');
  });

  it('a sandbox key never reaches the production upstream, and a production key never the sandbox', async () => {
    const sandboxKey = await newKey();
    const productionKey = await newKey({ environment: 'production' });
    for (const host of [undefined, 'api.gatehouse.test', 'sandbox.gatehouse.test', 'other.example']) {
      const headers: Record<string, string> = { 'x-api-key': sandboxKey.key };
      if (host) headers.host = host;
      const response = await send(`/v1/orders?${probe()}`, { headers });
      if (host === 'api.gatehouse.test') assertProblem(response, 403, 'wrong_environment');
      else assert.equal(response.json.upstream, 'sandbox', response.text);
    }
    const live = await send(`/v1/orders?${probe()}`, {
      headers: { 'x-api-key': productionKey.key, host: 'api.gatehouse.test' },
    });
    assert.equal(live.json.upstream, 'production', live.text);
    assert.equal(
      production.received.filter((r) => r.headers['gatehouse-credential-id'] === sandboxKey.id).length,
      0,
    );
    assert.equal(
      sandbox.received.filter((r) => r.headers['gatehouse-credential-id'] === productionKey.id).length,
      0,
    );
    assert.ok(production.received.every((r) => r.headers['gatehouse-environment'] === 'production'));
  });

  it('refuses too many or too large headers with 431 problem documents', async () => {
    const { key } = await newKey();
    const many: Record<string, string> = { 'x-api-key': key };
    for (let i = 0; i < 60; i++) many[`x-extra-${i}`] = 'v';
    const marker = probe();
    assertProblem(await send(`/v1/orders?${marker}`, { headers: many }), 431, 'headers_too_large');
    const large = await send(`/v1/orders?${marker}`, {
      headers: { 'x-api-key': key, 'x-large': 'a'.repeat(20_000) },
    });
    assert.equal(large.status, 431);
    assert.equal(large.json.code, 'headers_too_large');
    assert.equal(seenUpstream(marker), 0);
  });

  it('closes a connection whose headers trickle in too slowly (slowloris)', async () => {
    const url = new URL(server.dataUrl);
    const socket = connect({ host: url.hostname, port: Number(url.port), ca: server.ca });
    await new Promise((resolve) => socket.once('secureConnect', resolve));
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
    });
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.write('GET /v1/orders HTTP/1.1\r\nHost: localhost\r\n');
    const trickle = setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 200);
    const outcome = await Promise.race([closed.then(() => 'closed'), sleep(8000).then(() => 'still open')]);
    clearInterval(trickle);
    socket.destroy();
    assert.equal(outcome, 'closed');
    assert.match(received, /^HTTP\/1\.1 408 /);
    assert.match(received, /"code":"request_timeout"/);
  });

  it('answers health checks on the data path without authentication', async () => {
    const health = await send('/healthz');
    assert.equal(health.status, 200);
    assert.deepEqual(health.json, { status: 'ok' });
    assert.equal(health.headers['strict-transport-security'], 'max-age=31536000');
  });

  it('logs one line per request without any key, whether in headers, query strings or bodies', async () => {
    const { key } = await newKey({ scopes: ['orders:read', 'orders:write'] });
    const invalid = recordSecret(generateCredential('gate', 'live'));
    sentSecrets.push(invalid);
    const requests: [string, SendOptions][] = [
      [`/v1/orders?api_key=${key}`, { headers: { 'x-api-key': key } }],
      [`/v1/orders?token=${invalid}&page=2`, { headers: { authorization: `Bearer ${key}` } }],
      [`/v1/orders/${key}`, { headers: { 'x-api-key': key } }],
      [`/v1/orders/${invalid}?q=${encodeURIComponent(key)}`, { headers: { 'x-api-key': invalid } }],
      [
        '/v1/orders',
        {
          method: 'POST',
          headers: { 'x-api-key': key, 'content-type': 'application/json' },
          body: JSON.stringify({ key, invalid }),
        },
      ],
      [
        '/v1/orders',
        {
          method: 'POST',
          headers: { authorization: `Bearer ${invalid}` },
          body: JSON.stringify({ api_key: key }),
        },
      ],
      ['/v1/orders', { headers: { authorization: `Basic ${key}` } }],
      ['/v1/orders', { headers: { 'x-api-key': `${key} ${invalid}`, 'user-agent': `agent/${key}` } }],
    ];
    const loggedBefore = readGatewayLogs().lines.length;
    for (const [path, options] of requests) await send(path, options);
    await send(
      `/v1/orders?api_key=${key}`,
      { headers: { 'x-api-key': key } },
      server.gatehouse.plainHttpUrl ?? '',
    );
    // The log is written asynchronously: wait for the fact that every request's line is in it.
    const { logs, lines } = await eventually(
      () => {
        const read = readGatewayLogs();
        return read.lines.length >= loggedBefore + requests.length + 1 && read;
      },
      { what: 'a log line for every request' },
    );
    assert.ok(lines.length >= requests.length, 'the requests were logged');
    assert.ok(lines.some((line) => line.includes('"path":"/v1/orders?api_key=[redacted]"')));
    for (const secret of sentSecrets)
      assert.ok(!logs.includes(secret), `a key (${secret.slice(0, 12)}…) is in the log`);
  });
});

describe('gateway: started without configuration (npm start)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ name: 'gateway-bare', env: { GATEHOUSE_CONFIG_FILE: '' } });
  });
  after(() => server?.close());

  it('answers an authenticated request with 503 upstream_not_configured, and a missing key with 401', async () => {
    const integratorId = await newIntegrator(server, { name: 'Bare' });
    const { key } = await issueKey(server, { integrator_id: integratorId, name: 'k' });
    const configured = await server.data('/v1/anything', { headers: { 'x-api-key': key } });
    assert.equal(configured.status, 503);
    assert.equal(configured.json.code, 'upstream_not_configured');
    const anonymous = await server.data('/v1/anything');
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.json.code, 'credential_missing');
  });
});

describe('gateway: an upstream that fails', () => {
  let server: TestServer;
  let silent: Server;
  let integratorId: string;

  before(async () => {
    // Production: accepts connections but never answers. Sandbox: a port nothing listens on.
    silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-gateway-failing-'));
    writeFileSync(
      join(dir, 'gatehouse.config.json'),
      JSON.stringify({
        routes: [{ method: 'GET', path: '/v1/orders', scopes: [] }],
        upstream_timeouts: { connect_ms: 1000, headers_ms: 500, body_ms: 500 },
      }),
    );
    server = await startTestServer({
      name: 'gateway-failing',
      env: {
        GATEHOUSE_CONFIG_FILE: join(dir, 'gatehouse.config.json'),
        GATEHOUSE_UPSTREAM_PRODUCTION: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
        GATEHOUSE_UPSTREAM_SANDBOX: `http://127.0.0.1:${closedPort}`,
      },
    });
    integratorId = await newIntegrator(server, { name: 'Failing' });
  });
  after(async () => {
    await server?.close();
    silent?.closeAllConnections();
    await new Promise((resolve) => silent?.close(resolve));
  });

  const keyFor = async (environment: string) =>
    (
      await server.admin('POST', '/admin/v1/keys', {
        body: { integrator_id: integratorId, name: 'failing', environment },
      })
    ).json.key as string;

  it('answers 502 bad_gateway with generic text when the upstream cannot be reached', async () => {
    const response = await server.data('/v1/orders', { headers: { 'x-api-key': await keyFor('sandbox') } });
    assert.equal(response.status, 502);
    assert.equal(response.json.code, 'bad_gateway');
    assert.equal(response.json.detail, 'The upstream service could not be reached');
    assert.ok(!/ECONNREFUSED|127\.0\.0\.1/.test(response.text), 'internal details in the response');
  });

  it('answers 504 gateway_timeout when the upstream does not answer in time', async () => {
    const response = await server.data('/v1/orders', {
      headers: { 'x-api-key': await keyFor('production') },
    });
    assert.equal(response.status, 504);
    assert.equal(response.json.code, 'gateway_timeout');
    assert.equal(response.json.detail, 'The upstream service did not answer in time');
  });
});
