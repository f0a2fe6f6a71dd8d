import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateCredential } from '../../src/crypto/key-format.ts';
import { recordSecret } from '../support/artifacts.ts';
import { readUntil } from '../support/eventually.ts';
import { createHttpsClient } from '../support/https-client.ts';
import { createTestPostgres, POSTGRES_SKIP_MESSAGE } from '../support/postgres.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

/**
 * Brute force against the admin API: failed authentications are throttled per client address (429
 * with Retry-After) and recorded as one aggregated security event, and an attacker's failures never
 * slow the valid token of another address. Both clients are on loopback: 127.0.0.1 and 127.0.0.2.
 */
describe('admin API: failed authentications are throttled per address', () => {
  let server: TestServer;
  let attacker: ReturnType<typeof createHttpsClient>;
  let owner: ReturnType<typeof createHttpsClient>;

  before(async () => {
    server = await startTestServer({ name: 'admin-brute-force' });
    attacker = createHttpsClient(server.ca, { localAddress: '127.0.0.1' });
    owner = createHttpsClient(server.ca, { localAddress: '127.0.0.2' });
  });
  after(async () => {
    await attacker.close();
    await owner.close();
    await server.close();
  });

  const keys = (client: typeof owner, token: string) =>
    client.send(`${server.adminUrl}/admin/v1/keys`, { headers: { authorization: `Bearer ${token}` } });
  const guess = () => keys(attacker, recordSecret(generateCredential('gate', 'admin')));

  it('a few failures leave a valid token working; past the allowance the address gets 429, others do not', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await guess()).status, 401);
    assert.equal((await keys(attacker, server.ownerToken)).status, 200, 'a success costs no allowance');

    let failures = 3;
    let refused = await guess();
    while (refused.status === 401 && failures < 50) {
      failures++;
      refused = await guess();
    }
    assert.equal(refused.status, 429, refused.text);
    assert.equal(failures, 10, 'the allowance is 10 failures');
    assert.match(String(refused.headers['content-type']), /^application\/problem\+json/);
    assert.equal(refused.json.code, 'authentication_throttled');
    assert.match(String(refused.headers['retry-after']), /^[1-9]\d*$/);

    // The attacker keeps going while the owner works from another address: every guess is refused
    // without being checked, every owner request succeeds.
    const flood = Promise.all(Array.from({ length: 100 }, guess));
    const ownerRequests = await Promise.all(Array.from({ length: 10 }, () => keys(owner, server.ownerToken)));
    assert.deepEqual(
      ownerRequests.map((r) => r.status),
      Array(10).fill(200),
    );
    assert.deepEqual([...new Set((await flood).map((r) => r.status))], [429]);

    // The throttled address is refused even with a valid token: a success would tell a guesser it won.
    assert.equal((await keys(attacker, server.ownerToken)).status, 429);
  });

  it('the failures are one security event with their count, not one per request', async () => {
    const events = async () => {
      const response = await keys(owner, server.ownerToken).then(() =>
        owner.send(`${server.adminUrl}/admin/v1/security-events?event=admin_authentication_failed`, {
          headers: { authorization: `Bearer ${server.ownerToken}` },
        }),
      );
      assert.equal(response.status, 200, response.text);
      return response.json.data as { ip: string; source: string; details: Record<string, unknown> }[];
    };
    // The first event of a burst is stored at once; its count follows within a second.
    const byReason = (rows: Awaited<ReturnType<typeof events>>, reason: string) =>
      rows.filter((row) => row.details.reason === reason);
    const stored = await readUntil(
      events,
      (rows) => byReason(rows, 'invalid_token')[0]?.details.count === 10,
      {
        timeoutMs: 5000,
      },
    );
    const failures = byReason(stored, 'invalid_token');
    assert.equal(failures.length, 1, JSON.stringify(stored));
    assert.equal(failures[0]?.ip, '127.0.0.1');
    assert.equal(failures[0]?.source, 'admin');
    assert.equal(failures[0]?.details.count, 10);
    assert.equal(byReason(stored, 'throttled').length, 1, 'the refused attempts are one row too');
    assert.equal(stored.length, 2, JSON.stringify(stored));
  });
});

const postgresReachable = (await createTestPostgres().then((p) => p?.drop().then(() => true))) ?? false;

for (const database of ['sqlite', 'postgres'] as const) {
  const skip = database === 'postgres' && !postgresReachable ? POSTGRES_SKIP_MESSAGE : false;
  describe(`admin API: the throttle counts failures only (${database})`, { skip }, () => {
    it('many requests with a valid token at once from one address all pass', async () => {
      const server = await startTestServer({ name: `admin-concurrent-${database}`, database });
      const client = createHttpsClient(server.ca);
      try {
        const burst = (path: string, headers: Record<string, string> = {}) =>
          Promise.all(
            Array.from({ length: 60 }, () => client.send(`${server.adminUrl}${path}`, { headers })),
          );
        // Open the connections without authenticating, then send every request at once on them,
        // before any token lookup has finished.
        await burst('/healthz');
        const responses = await burst('/admin/v1/keys', { authorization: `Bearer ${server.ownerToken}` });
        assert.deepEqual(
          responses.map((response) => response.status),
          Array(60).fill(200),
        );
      } finally {
        await client.close();
        await server.close();
      }
    });
  });
}
