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
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { type RecordingUpstream, startRecordingUpstream } from '../support/upstream.ts';

const postgres = await createTestPostgres();
const skip = !postgres ? POSTGRES_SKIP_MESSAGE : false;

describe('gateway: two instances sharing PostgreSQL without Redis', { skip }, () => {
  let first: TestServer;
  let second: TestServer;
  let upstream: RecordingUpstream;
  let integratorId: string;
  const adminToken = recordSecret(generateCredential('gate', 'admin'));

  before(async () => {
    upstream = await startRecordingUpstream('sandbox');
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-gateway-shared-poll-'));
    writeFileSync(
      join(dir, 'gatehouse.config.json'),
      JSON.stringify({
        routes: [{ method: 'GET', path: '/v1/orders', scopes: [] }],
        rate_limits: { per_ip: { requests_per_second: 10000, burst: 10000 } },
      }),
    );
    // One deployment: the same database, secrets and configuration for both instances; no Redis.
    const env = {
      GATEHOUSE_DATABASE_URL: (postgres as TestPostgres).url.reveal(),
      GATEHOUSE_PEPPER: recordSecret(randomBytes(32).toString('base64url')),
      GATEHOUSE_ENCRYPTION_KEYS: `1:${recordSecret(randomBytes(32).toString('base64'))}`,
      GATEHOUSE_ADMIN_TOKEN: adminToken,
      GATEHOUSE_CONFIG_FILE: join(dir, 'gatehouse.config.json'),
      GATEHOUSE_UPSTREAM_SANDBOX: upstream.url,
      // No bus reaches the other instance: only the change generation it polls can make a revocation
      // visible within 1 s, since the cache alone would keep the key for ten minutes.
      GATEHOUSE_CREDENTIAL_CACHE_TTL_MS: '600000',
    };
    first = await startTestServer({ name: 'gateway-poll-a', env });
    second = await startTestServer({ name: 'gateway-poll-b', env });
    integratorId = await newIntegrator(first, { name: 'Shared Corp' }, { token: adminToken });
  });
  after(async () => {
    await first?.close();
    await second?.close();
    await upstream?.close();
    await postgres?.drop();
  });

  const newKey = async (extra: Record<string, unknown> = {}) =>
    issueKey(first, { integrator_id: integratorId, name: 'shared', ...extra }, { token: adminToken });

  it('both refuse a key within 1 s of its revocation through the admin API of one of them, with no Redis to announce it', async () => {
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
