import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient, SELF_ROTATE_PATH } from '../src/index.ts';
import { CA, json, type Stub, startStub } from './stub-server.ts';

const SECRET = 'gate_cstest_unitTestClientSecret0123456789';
const KEY = 'gate_sktest_unitTestKeyValue0123456789abcdef';

describe('OAuth client credentials against a stub', () => {
  let stub: Stub;
  let issued = 0;
  let valid = new Set<string>();
  before(async () => {
    stub = await startStub((req, res) => {
      if (req.url === '/oauth/token') {
        const expected = `Basic ${Buffer.from(`client_1:${SECRET}`).toString('base64')}`;
        if (req.headers.authorization !== expected) return json(res, 401, { error: 'invalid_client' });
        assert.equal(req.body, 'grant_type=client_credentials');
        const token = `tok_${++issued}`;
        valid.add(token);
        return json(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 2 });
      }
      const token = String(req.headers.authorization).replace('Bearer ', '');
      if (!valid.has(token)) return json(res, 401, { code: 'token_revoked' });
      json(res, 200, { token });
    });
  });
  after(() => stub.close());

  it('fetches one token for concurrent calls, refreshes it before expiry, and once on a 401', async () => {
    const c = createClient({ baseUrl: stub.url, clientId: 'client_1', clientSecret: SECRET, ca: CA });
    const first = await Promise.all([c.get('/v1/a'), c.get('/v1/b'), c.get('/v1/c')]);
    assert.deepEqual(first, [{ token: 'tok_1' }, { token: 'tok_1' }, { token: 'tok_1' }]);
    assert.equal(issued, 1);
    // A 2 s token is refreshed after half its lifetime.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.deepEqual(await c.get('/v1/a'), { token: 'tok_2' });
    valid = new Set();
    assert.deepEqual(await c.get('/v1/a'), { token: 'tok_3' });
    c.close();
  });

  it('a wrong secret is an AuthenticationError with the OAuth error code, never the secret', async () => {
    const c = createClient({ baseUrl: stub.url, clientId: 'client_1', clientSecret: `${SECRET}x`, ca: CA });
    const error = (await c.get('/v1/a').catch((e: unknown) => e)) as Error & { code: string };
    assert.equal(error.name, 'AuthenticationError');
    assert.equal(error.code, 'invalid_client');
    assert.ok(!JSON.stringify(error).includes(SECRET) && !error.message.includes(SECRET));
    c.close();
  });
});

describe('self-rotation against a stub', () => {
  let stub: Stub;
  const keys = new Set([KEY]);
  before(async () => {
    stub = await startStub((req, res) => {
      if (!keys.has(String(req.headers['x-api-key']))) return json(res, 401, { code: 'key_unknown' });
      if (req.method === 'POST' && req.url === SELF_ROTATE_PATH) {
        const overlap = JSON.parse(req.body).overlap_seconds;
        assert.ok(overlap === 60 || overlap === undefined);
        const key = `${KEY}_new${keys.size}`;
        keys.add(key);
        return json(res, 201, { id: 'key_1', key, previous_expires_at: '2030-01-01T00:00:00.000Z' });
      }
      json(res, 200, { key: req.headers['x-api-key'] });
    });
  });
  after(() => stub.close());

  it('rotate() persists the new key, then switches to it with no failed call in between', async () => {
    const c = createClient({ baseUrl: stub.url, apiKey: KEY, ca: CA });
    let stored: string | undefined;
    let failures = 0;
    let running = true;
    const traffic = (async () => {
      while (running) await c.get('/v1/x').catch(() => failures++);
    })();
    const result = await c.rotate({
      overlap: 60,
      persist: (secret) => {
        stored = secret;
      },
    });
    assert.deepEqual(result, { id: 'key_1', previousExpiresAt: '2030-01-01T00:00:00.000Z' });
    assert.equal(stored, `${KEY}_new1`);
    assert.deepEqual(await c.get('/v1/x'), { key: stored });
    keys.delete(KEY);
    assert.deepEqual(await c.get('/v1/x'), { key: stored });
    running = false;
    await traffic;
    assert.equal(failures, 0);
    c.close();
  });

  it('a persist that throws keeps the old key in use', async () => {
    const c = createClient({ baseUrl: stub.url, apiKey: `${KEY}_new1`, ca: CA });
    await assert.rejects(
      c.rotate({
        persist: () => {
          throw new Error('vault down');
        },
      }),
      /vault down/,
    );
    assert.deepEqual(await c.get('/v1/x'), { key: `${KEY}_new1` });
    c.close();
  });
});
