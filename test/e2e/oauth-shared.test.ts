import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateCredential } from '../../src/crypto/key-format.ts';
import { recordSecret } from '../support/artifacts.ts';
import { eventually } from '../support/eventually.ts';
import { createTestPostgres, POSTGRES_SKIP_MESSAGE, type TestPostgres } from '../support/postgres.ts';
import { createTestRedis, REDIS_SKIP_MESSAGE, type TestRedis } from '../support/redis.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { type RecordingUpstream, startRecordingUpstream } from '../support/upstream.ts';

const postgres = await createTestPostgres();
const redis = await createTestRedis();
const skip = !postgres ? POSTGRES_SKIP_MESSAGE : !redis ? REDIS_SKIP_MESSAGE : false;
const FORM = 'application/x-www-form-urlencoded';

describe('OAuth across two instances sharing PostgreSQL and Redis', { skip }, () => {
  let first: TestServer;
  let second: TestServer;
  let upstream: RecordingUpstream;
  let integratorId: string;
  const adminToken = recordSecret(generateCredential('gate', 'admin'));

  before(async () => {
    upstream = await startRecordingUpstream('production');
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-oauth-shared-'));
    writeFileSync(
      join(dir, 'gatehouse.config.json'),
      JSON.stringify({ routes: [{ method: 'GET', path: '/v1/orders', scopes: ['orders:read'] }] }),
    );
    const env = {
      GATEHOUSE_DATABASE_URL: (postgres as TestPostgres).url.reveal(),
      GATEHOUSE_REDIS_URL: (redis as TestRedis).url,
      GATEHOUSE_REDIS_KEY_PREFIX: (redis as TestRedis).prefix,
      GATEHOUSE_PEPPER: recordSecret(randomBytes(32).toString('base64url')),
      GATEHOUSE_ENCRYPTION_KEYS: `1:${recordSecret(randomBytes(32).toString('base64'))}`,
      GATEHOUSE_ADMIN_TOKEN: adminToken,
      GATEHOUSE_CONFIG_FILE: join(dir, 'gatehouse.config.json'),
      GATEHOUSE_UPSTREAM_PRODUCTION: upstream.url,
      // Behind one load balancer every instance issues tokens for the same public URL.
      GATEHOUSE_OAUTH_ISSUER: 'https://api.gatehouse.test',
      GATEHOUSE_OAUTH_TOKEN_RATE: '1000',
      // Only the Redis bus can make a revocation visible within 1 s: the cache alone would keep it a minute.
      GATEHOUSE_CREDENTIAL_CACHE_TTL_MS: '60000',
    };
    first = await startTestServer({ name: 'oauth-shared-a', env });
    second = await startTestServer({ name: 'oauth-shared-b', env });
    integratorId = (
      await first.admin('POST', '/admin/v1/integrators', {
        body: { name: 'Shared OAuth' },
        token: adminToken,
      })
    ).json.id;
  });
  after(async () => {
    await first?.close();
    await second?.close();
    await upstream?.close();
    await redis?.cleanup();
    await postgres?.drop();
  });

  const newClient = async () => {
    const created = await first.admin('POST', '/admin/v1/clients', {
      body: {
        integrator_id: integratorId,
        name: 'shared',
        environment: 'production',
        scopes: ['orders:read'],
      },
      token: adminToken,
    });
    assert.equal(created.status, 201, created.text);
    recordSecret(created.json.client_secret);
    return created.json as { id: string; client_id: string; client_secret: string };
  };
  const tokenFrom = async (server: TestServer, client: { client_id: string; client_secret: string }) => {
    const response = await server.data('/oauth/token', {
      method: 'POST',
      headers: { 'content-type': FORM },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: client.client_id,
        client_secret: client.client_secret,
      }).toString(),
    });
    assert.equal(response.status, 200, response.text);
    return recordSecret(response.json.access_token as string);
  };
  const call = (server: TestServer, token: string) =>
    server.data('/v1/orders', { headers: { authorization: `Bearer ${token}` } });
  /** Milliseconds until `server` refuses `token`, polling every 20 ms for at most 3 s. */
  const refusalDelay = async (server: TestServer, token: string) => {
    const start = Date.now();
    while (Date.now() - start < 3000) {
      if ((await call(server, token)).status === 401) return Date.now() - start;
      await sleep(20);
    }
    return Number.POSITIVE_INFINITY;
  };

  it('a token issued by one instance is accepted by the other', async () => {
    const client = await newClient();
    assert.equal((await call(second, await tokenFrom(first, client))).status, 200);
    assert.equal((await call(first, await tokenFrom(second, client))).status, 200);
  });

  it('a token revoked through one instance is refused by the other within 1 s', async () => {
    const client = await newClient();
    const token = await tokenFrom(first, client);
    assert.equal((await call(second, token)).status, 200);
    const revoked = await first.data('/oauth/revoke', {
      method: 'POST',
      headers: { 'content-type': FORM },
      body: new URLSearchParams({
        token,
        client_id: client.client_id,
        client_secret: client.client_secret,
      }).toString(),
    });
    assert.equal(revoked.status, 200);
    const delay = await refusalDelay(second, token);
    assert.ok(delay < 1000, `refused after ${delay} ms`);
  });

  it('a client revoked through one instance’s admin API has its tokens refused by the other within 1 s', async () => {
    const client = await newClient();
    const token = await tokenFrom(second, client);
    assert.equal((await call(second, token)).status, 200);
    assert.equal(
      (await first.admin('POST', `/admin/v1/clients/${client.id}/revoke`, { token: adminToken })).status,
      200,
    );
    const delay = await refusalDelay(second, token);
    assert.ok(delay < 1000, `refused after ${delay} ms`);
  });

  it('after a signing-key rotation on one instance, the other signs with the new key and accepts both', async () => {
    const client = await newClient();
    const old = await tokenFrom(second, client);
    const rotated = await first.admin('POST', '/admin/v1/signing-keys/rotate', { token: adminToken });
    assert.equal(rotated.status, 200);
    const kidOf = (token: string) =>
      JSON.parse(Buffer.from(token.split('.')[0] as string, 'base64url').toString()).kid;
    // The other instance learns of the rotation through the shared store: wait for that fact.
    const fresh = await eventually(
      async () => {
        const token = await tokenFrom(second, client);
        return kidOf(token) === rotated.json.kid && token;
      },
      { timeoutMs: 5000, what: 'the other instance to sign with the new key' },
    );
    assert.equal(kidOf(fresh), rotated.json.kid);
    assert.equal((await call(first, old)).status, 200);
    assert.equal((await call(first, fresh)).status, 200);
  });
});
