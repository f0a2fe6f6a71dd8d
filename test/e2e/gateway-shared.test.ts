import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateCredential } from '../../src/crypto/key-format.ts';
import { recordSecret } from '../support/artifacts.ts';
import { eventually } from '../support/eventually.ts';
import { newKey as issueKey, newIntegrator } from '../support/fixtures.ts';
import { createTestPostgres, POSTGRES_SKIP_MESSAGE, type TestPostgres } from '../support/postgres.ts';
import { createTestRedis, REDIS_SKIP_MESSAGE, type TestRedis } from '../support/redis.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { type RecordingUpstream, startRecordingUpstream } from '../support/upstream.ts';

const postgres = await createTestPostgres();
const redis = await createTestRedis();
const skip = !postgres ? POSTGRES_SKIP_MESSAGE : !redis ? REDIS_SKIP_MESSAGE : false;

describe('gateway: two instances sharing PostgreSQL and Redis', { skip }, () => {
  let first: TestServer;
  let second: TestServer;
  let upstream: RecordingUpstream;
  let integratorId: string;
  const adminToken = recordSecret(generateCredential('gate', 'admin'));

  before(async () => {
    upstream = await startRecordingUpstream('sandbox');
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-gateway-shared-'));
    writeFileSync(
      join(dir, 'gatehouse.config.json'),
      JSON.stringify({
        routes: [{ method: 'GET', path: '/v1/orders', scopes: [] }],
        rate_limits: { per_ip: { requests_per_second: 10000, burst: 10000 } },
      }),
    );
    // One deployment: the same database, Redis, secrets and configuration for both instances.
    const env = {
      GATEHOUSE_DATABASE_URL: (postgres as TestPostgres).url.reveal(),
      GATEHOUSE_REDIS_URL: (redis as TestRedis).url,
      GATEHOUSE_REDIS_KEY_PREFIX: (redis as TestRedis).prefix,
      GATEHOUSE_PEPPER: recordSecret(randomBytes(32).toString('base64url')),
      GATEHOUSE_ENCRYPTION_KEYS: `1:${recordSecret(randomBytes(32).toString('base64'))}`,
      GATEHOUSE_ADMIN_TOKEN: adminToken,
      GATEHOUSE_CONFIG_FILE: join(dir, 'gatehouse.config.json'),
      GATEHOUSE_UPSTREAM_SANDBOX: upstream.url,
      // Only the Redis bus can make a revocation visible within 1 s: the cache alone would keep it a minute.
      GATEHOUSE_CREDENTIAL_CACHE_TTL_MS: '60000',
    };
    first = await startTestServer({ name: 'gateway-shared-a', env });
    second = await startTestServer({ name: 'gateway-shared-b', env });
    integratorId = await newIntegrator(first, { name: 'Shared Corp' }, { token: adminToken });
  });
  after(async () => {
    await first?.close();
    await second?.close();
    await upstream?.close();
    await redis?.cleanup();
    await postgres?.drop();
  });

  const newKey = async (extra: Record<string, unknown> = {}) =>
    issueKey(first, { integrator_id: integratorId, name: 'shared', ...extra }, { token: adminToken });

  it('share one credential rate limit: the total admitted stays within 5% of the limit', async () => {
    const burst = 60;
    // A refill of one token every 10 s: over the few hundred milliseconds of the test the limit is the burst.
    const { key } = await newKey({ rate_limit: { requests_per_second: 0.1, burst } });
    const statuses: number[] = [];
    const instances = [first, second];
    for (let round = 0; round < 15; round++) {
      const batch = Array.from({ length: 10 }, (_, i) =>
        (instances[i % 2] as TestServer).data('/v1/orders', { headers: { 'x-api-key': key } }),
      );
      for (const response of await Promise.all(batch)) statuses.push(response.status);
    }
    const admitted = statuses.filter((s) => s === 200).length;
    assert.deepEqual(new Set(statuses), new Set([200, 429]));
    assert.ok(
      Math.abs(admitted - burst) <= burst * 0.05,
      `admitted ${admitted} of a shared limit of ${burst}`,
    );
  });

  it('both refuse a key within 1 s of its revocation through the admin API of one of them', async () => {
    const { id, key } = await newKey();
    for (const instance of [first, second]) {
      const warm = await instance.data('/v1/orders', { headers: { 'x-api-key': key } });
      assert.equal(warm.status, 200, warm.text);
    }
    const revoked = await first.admin('POST', `/admin/v1/keys/${id}/revoke`, {
      body: { reason: 'test' },
      token: adminToken,
    });
    assert.equal(revoked.status, 200);
    const revokedAt = Date.now();
    for (const instance of [first, second]) {
      const response = await eventually(
        async () => {
          const answer = await instance.data('/v1/orders', { headers: { 'x-api-key': key } });
          return answer.status !== 200 && answer;
        },
        {
          timeoutMs: Math.max(0, revokedAt + 1000 - Date.now()),
          intervalMs: 25,
          what: 'the revocation to apply',
        },
      );
      assert.equal(response.status, 401, `still admitted ${Date.now() - revokedAt} ms after the revocation`);
      assert.equal(response.json.code, 'key_revoked');
    }
  });
});
