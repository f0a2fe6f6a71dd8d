import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inspect } from 'node:util';
import {
  AuthenticationError,
  createClient,
  GatehouseError,
  NetworkError,
  NotFoundError,
  PermissionError,
  RateLimitError,
  type RequestLogRecord,
  ServerError,
  ValidationError,
} from '../src/index.ts';
import { CA, json, type Stub, startStub } from './stub-server.ts';

const KEY = 'gate_sktest_unitTestKeyValue0123456789abcdef';
const FAST = { max: 3, baseDelayMs: 5, maxDelayMs: 20 };

describe('createClient', () => {
  it('takes the key from GATEHOUSE_API_KEY, and a missing one names the variable', () => {
    assert.doesNotThrow(() =>
      createClient({ baseUrl: 'https://api.example.com', env: { GATEHOUSE_API_KEY: KEY } }).close(),
    );
    assert.throws(() => createClient({ baseUrl: 'https://api.example.com', env: {} }), /GATEHOUSE_API_KEY/);
    assert.throws(
      () => createClient({ baseUrl: 'https://api.example.com', env: { GATEHOUSE_CLIENT_ID: 'c1' } }),
      /GATEHOUSE_CLIENT_SECRET is not set/,
    );
    assert.throws(
      () =>
        createClient({
          baseUrl: 'https://api.example.com',
          env: { GATEHOUSE_CLIENT_SECRET: 'shh-secret-value' },
        }),
      (e: Error) => /GATEHOUSE_CLIENT_ID/.test(e.message) && !e.message.includes('shh-secret-value'),
    );
  });

  it('refuses http:// except for loopback with the explicit development opt-in', () => {
    assert.throws(() => createClient({ baseUrl: 'http://api.example.com', apiKey: KEY }), /https/);
    assert.throws(
      () => createClient({ baseUrl: 'http://localhost:8080', apiKey: KEY }),
      /allowInsecureLocalhost/,
    );
    assert.throws(
      () => createClient({ baseUrl: 'http://api.example.com', apiKey: KEY, allowInsecureLocalhost: true }),
      /https/,
    );
    for (const host of ['localhost', '127.0.0.1', '[::1]']) {
      createClient({ baseUrl: `http://${host}:8080`, apiKey: KEY, allowInsecureLocalhost: true }).close();
    }
    assert.throws(
      () => createClient({ baseUrl: 'https://user:pw@api.example.com', apiKey: KEY }),
      /credentials/,
    );
  });
});

describe('calls against an HTTPS stub', () => {
  let stub: Stub;
  const records: RequestLogRecord[] = [];
  const client = () =>
    createClient({ baseUrl: stub.url, apiKey: KEY, ca: CA, retries: FAST, logger: (r) => records.push(r) });
  before(async () => {
    stub = await startStub();
  });
  after(() => stub.close());

  it('resolves to the parsed body, with status, headers and request id from request()', async () => {
    stub.handle = (req, res) => json(res, 200, { path: req.url, key: req.headers['x-api-key'] === KEY });
    const c = client();
    assert.deepEqual(await c.get('/v1/orders', { query: { limit: 2 } }), {
      path: '/v1/orders?limit=2',
      key: true,
    });
    const full = await c.request({ method: 'GET', path: '/v1/orders' });
    assert.equal(full.status, 200);
    assert.equal(full.requestId, 'req_stub');
    assert.equal(full.headers['content-type'], 'application/json');
    await assert.rejects(c.request({ method: 'GET', path: 'https://evil.example/x' }), /path must start/);
    c.close();
  });

  it('refuses a server whose certificate no trusted CA signed', async () => {
    const c = createClient({ baseUrl: stub.url, apiKey: KEY, retries: { max: 0 } });
    await assert.rejects(c.get('/v1/orders'), NetworkError);
    c.close();
  });

  it('maps each status to its error class with code, request id and field errors, body non-enumerable', async () => {
    const c = client();
    const cases: [number, new (...args: never[]) => GatehouseError, string][] = [
      [401, AuthenticationError, 'key_revoked'],
      [403, PermissionError, 'insufficient_scope'],
      [404, NotFoundError, 'route_not_found'],
      [400, ValidationError, 'validation_failed'],
      [502, ServerError, 'bad_gateway'],
      [409, GatehouseError, 'key_not_rotatable'],
    ];
    for (const [status, type, code] of cases) {
      stub.handle = (_req, res) =>
        json(res, status, {
          code,
          detail: `detail mentioning ${KEY}`,
          request_id: 'req_1',
          errors: [{ field: '/amount', message: 'must be >= 1' }],
        });
      const error = await c.get('/v1/x').then(
        () => assert.fail('resolved'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof type, `${status} → ${(error as Error).name}`);
      assert.equal((error as GatehouseError).status, status);
      assert.equal((error as GatehouseError).code, code);
      assert.equal((error as GatehouseError).requestId, 'req_stub');
      assert.ok(!Object.keys(error as object).includes('body'));
      assert.match(JSON.stringify((error as GatehouseError).body), /detail mentioning/);
      for (const shown of [(error as Error).message, JSON.stringify(error), inspect(error)])
        assert.ok(!shown.includes(KEY));
      if (error instanceof ValidationError)
        assert.deepEqual(error.fields, [{ field: '/amount', message: 'must be >= 1' }]);
    }
    c.close();
  });

  it('retries 429 and 503 honouring Retry-After, with one Idempotency-Key across a POST’s retries', async () => {
    let calls = 0;
    stub.seen.length = 0;
    stub.handle = (_req, res) => {
      calls++;
      if (calls === 1) json(res, 429, { code: 'rate_limited' }, { 'retry-after': '1' });
      else if (calls === 2) json(res, 503, { code: 'gateway_not_running' });
      else json(res, 201, { ok: true });
    };
    const started = Date.now();
    assert.deepEqual(await client().post('/v1/orders', { a: 1 }), { ok: true });
    assert.ok(Date.now() - started >= 1000, 'waited for Retry-After');
    const keys = stub.seen.map((s) => s.headers['idempotency-key']);
    assert.equal(keys.length, 3);
    assert.equal(new Set(keys).size, 1);
    assert.match(String(keys[0]), /^[0-9a-f-]{36}$/);
    assert.equal(stub.seen[0]?.body, '{"a":1}');
  });

  it('gives up with a RateLimitError carrying retryAfter (an HTTP date too) when retries are off', async () => {
    const date = new Date(Date.now() + 5000).toUTCString();
    stub.handle = (_req, res) => json(res, 429, { code: 'rate_limited' }, { 'retry-after': date });
    const c = createClient({ baseUrl: stub.url, apiKey: KEY, ca: CA, retries: { max: 0 } });
    const error = await c.get('/v1/x').catch((e: unknown) => e);
    assert.ok(error instanceof RateLimitError);
    assert.ok(
      error.retryAfter !== undefined && error.retryAfter >= 3 && error.retryAfter <= 5,
      String(error.retryAfter),
    );
    c.close();
  });

  it('retries network errors, and times out a call that takes too long', async () => {
    let calls = 0;
    stub.handle = (_req, res) => {
      calls++;
      if (calls === 1) res.socket?.destroy();
      else json(res, 200, { ok: true });
    };
    assert.deepEqual(await client().get('/v1/x'), { ok: true });
    stub.handle = () => {};
    const slow = createClient({
      baseUrl: stub.url,
      apiKey: KEY,
      ca: CA,
      retries: { max: 0 },
      timeouts: { totalMs: 200 },
    });
    const error = await slow.get('/v1/slow').catch((e: unknown) => e);
    assert.ok(error instanceof NetworkError);
    assert.equal(error.timeout, 'total');
    slow.close();
  });

  it('setCredential: the next request uses the new key', async () => {
    stub.handle = (req, res) => json(res, 200, { key: req.headers['x-api-key'] });
    const c = client();
    assert.deepEqual(await c.get('/v1/x'), { key: KEY });
    c.setCredential(`${KEY}2`);
    assert.deepEqual(await c.get('/v1/x'), { key: `${KEY}2` });
    c.close();
  });

  it('the logger gets redacted records only', async () => {
    stub.handle = (_req, res) => json(res, 401, { code: 'key_unknown' });
    records.length = 0;
    await client()
      .get(`/v1/x?api_key=${KEY}`)
      .catch(() => {});
    assert.ok(records.length > 0);
    const text = JSON.stringify(records);
    assert.ok(!text.includes(KEY), text);
    assert.equal(records[0]?.path, '/v1/x?api_key=[redacted]');
    assert.equal(records[0]?.status, 401);
    assert.equal(records[0]?.code, 'key_unknown');
  });
});
