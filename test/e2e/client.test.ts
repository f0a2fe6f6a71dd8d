import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inspect } from 'node:util';
import {
  AuthenticationError,
  type ClientOptions,
  createClient,
  NetworkError,
  NotFoundError,
  PermissionError,
  RateLimitError,
  type RequestLogRecord,
  ServerError,
  ValidationError,
} from '../../packages/client/src/index.ts';
import { recordSecret } from '../support/artifacts.ts';
import { newIntegrator, newKey } from '../support/fixtures.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { type RecordingUpstream, startRecordingUpstream } from '../support/upstream.ts';

const GATEWAY_FILE = `
routes:
  - method: GET
    path: /v1/orders
    scopes: [orders:read]
  - method: POST
    path: /v1/orders
    scopes: [orders:write]
  - method: POST
    path: /v1/refunds
    scopes: []
    body_schema:
      type: object
      required: [amount]
      properties:
        amount: { type: integer, minimum: 1 }
`;

describe('@gatehouse/client against the real Gatehouse', () => {
  let server: TestServer;
  let sandbox: RecordingUpstream;
  let integratorId: string;
  const clients: { close(): void }[] = [];

  before(async () => {
    sandbox = await startRecordingUpstream('sandbox');
    server = await startTestServer({
      name: 'client-e2e',
      gatewayFile: GATEWAY_FILE,
      env: {
        GATEHOUSE_UPSTREAM_SANDBOX: sandbox.url,
        // Nothing listens on port 1: production calls end in 502 bad_gateway.
        GATEHOUSE_UPSTREAM_PRODUCTION: 'http://127.0.0.1:1',
        GATEHOUSE_OAUTH_TOKEN_RATE: '1000',
      },
    });
    integratorId = await newIntegrator(server, { name: 'Client Corp' });
  });
  after(async () => {
    for (const client of clients) client.close();
    await server?.close();
    await sandbox?.close();
  });

  const key = async (body: Record<string, unknown> = {}) =>
    (await newKey(server, { integrator_id: integratorId, scopes: ['orders:read'], ...body })).key;
  const client = (options: Partial<ClientOptions>) => {
    const c = createClient({ baseUrl: server.dataUrl, ca: server.ca, env: {}, ...options });
    clients.push(c);
    return c;
  };

  it('calls through the gateway: parsed body, status and request id', async () => {
    const apiKey = await key({ scopes: ['orders:read', 'orders:write'] });
    const c = client({ apiKey });
    assert.deepEqual(await c.get('/v1/orders'), { upstream: 'sandbox', path: '/v1/orders' });
    const full = await c.request({ method: 'POST', path: '/v1/orders', body: { item: 1 } });
    assert.equal(full.status, 200);
    assert.match(String(full.requestId), /\S{8,}/);
    assert.equal(full.headers['gatehouse-request-id'], full.requestId);
    assert.equal(sandbox.received.at(-1)?.body, '{"item":1}');
  });

  it('each refusal is its typed error with the problem code and request id, never the key', async () => {
    const apiKey = await key();
    const c = client({ apiKey, retries: { max: 0 } });
    const production = client({ apiKey: await key({ environment: 'production' }) });
    const cases: [() => Promise<unknown>, new (...a: never[]) => Error, string][] = [
      [() => c.post('/v1/orders', {}), PermissionError, 'insufficient_scope'],
      [() => c.get('/v1/nothing-here'), NotFoundError, 'route_not_found'],
      [() => c.post('/v1/refunds', { amount: 0 }), ValidationError, 'validation_failed'],
      [() => production.get('/v1/orders'), ServerError, 'bad_gateway'],
    ];
    const revoked = await newKey(server, { integrator_id: integratorId, scopes: ['orders:read'] });
    assert.equal(
      (await server.admin('POST', `/admin/v1/keys/${revoked.id}/revoke`, { body: {} })).status,
      200,
    );
    const revokedClient = client({ apiKey: revoked.key });
    cases.push([() => revokedClient.get('/v1/orders'), AuthenticationError, 'key_revoked']);
    for (const [call, type, code] of cases) {
      const error = (await call().then(
        () => assert.fail(`resolved, expected ${code}`),
        (e: unknown) => e,
      )) as Error & {
        code: string;
        requestId: string;
        fields?: unknown[];
      };
      assert.ok(error instanceof type, `${code}: got ${error.name} ${error.code}`);
      assert.equal(error.code, code);
      assert.match(error.requestId, /\S{8,}/);
      if (error instanceof ValidationError) assert.ok(error.fields.length > 0);
      const shownAs = [error.message, String(error.stack), JSON.stringify(error), inspect(error)];
      for (const shown of [...shownAs, inspect(error, { showHidden: true, depth: 8 })]) {
        assert.ok(!shown.includes(apiKey) && !shown.includes(revoked.key));
      }
    }
    const closed = client({ baseUrl: 'https://127.0.0.1:1', apiKey, retries: { max: 0 } });
    await assert.rejects(closed.get('/v1/orders'), NetworkError);
  });

  it('a 429 is retried after Retry-After; with retries off it is a RateLimitError', async () => {
    const apiKey = await key({ rate_limit: { requests_per_second: 1, burst: 1 } });
    const records: RequestLogRecord[] = [];
    const c = client({ apiKey, logger: (r) => records.push(r) });
    await c.get('/v1/orders');
    const started = Date.now();
    await c.get('/v1/orders');
    const retry = records.find((r) => r.status === 429 && r.outcome === 'retry');
    assert.ok(retry, JSON.stringify(records));
    assert.ok((retry.retryInMs ?? 0) >= 1000, `waited ${retry.retryInMs} ms`);
    assert.ok(Date.now() - started >= 1000);
    assert.ok(!JSON.stringify(records).includes(apiKey));

    const strict = client({ apiKey, retries: { max: 0 } });
    await strict.get('/v1/orders').catch(() => {});
    const error = await strict.get('/v1/orders').catch((e: unknown) => e);
    assert.ok(error instanceof RateLimitError);
    assert.equal(error.code, 'rate_limited');
    assert.ok((error.retryAfter ?? 0) >= 1);
  });

  it('an OAuth client fetches a token once, reuses it, and refreshes it before it expires', async () => {
    const created = await server.admin('POST', '/admin/v1/clients', {
      body: {
        integrator_id: integratorId,
        name: 'client e2e',
        environment: 'sandbox',
        scopes: ['orders:read'],
        token_ttl_seconds: 60,
      },
    });
    assert.equal(created.status, 201, created.text);
    const secret = recordSecret(created.json.client_secret);
    const records: RequestLogRecord[] = [];
    const c = client({
      env: { GATEHOUSE_CLIENT_ID: created.json.client_id, GATEHOUSE_CLIENT_SECRET: secret },
      tokenRefreshMarginMs: 58_500,
      logger: (r) => records.push(r),
    });
    const tokenFetches = () => records.filter((r) => r.path === '/oauth/token').length;
    await Promise.all([c.get('/v1/orders'), c.get('/v1/orders'), c.get('/v1/orders')]);
    assert.equal(tokenFetches(), 1);
    assert.equal(sandbox.received.at(-1)?.headers['gatehouse-credential-id'], created.json.id);
    // The token is due for refresh 1.5 s after it was issued: calls go on until the client fetches anew.
    const deadline = Date.now() + 30_000;
    while (tokenFetches() < 2 && Date.now() < deadline) {
      await c.get('/v1/orders');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(tokenFetches(), 2);
    assert.ok(!records.some((r) => r.outcome === 'error'));
    assert.ok(!JSON.stringify(records).includes(secret));
  });
});
