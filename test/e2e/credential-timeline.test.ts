import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { recordSecret } from '../support/artifacts.ts';
import { readUntil } from '../support/eventually.ts';
import { newIntegrator, newKey } from '../support/fixtures.ts';
import { createHttpsClient, type HttpResponse } from '../support/https-client.ts';
import { createTestPostgres, POSTGRES_SKIP_MESSAGE } from '../support/postgres.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { type RecordingUpstream, startRecordingUpstream } from '../support/upstream.ts';

// Usage is written every 200 ms here (5 s by default), so the test waits for it briefly.
const GATEWAY_FILE = `
routes:
  - { method: GET, path: "/v1/orders/{id}", scopes: [] }
monitoring:
  usage: { flush_interval_ms: 200 }
`;
const FORM = 'application/x-www-form-urlencoded';

interface Entry {
  time: string;
  type: string;
  requests?: number;
  status?: Record<string, number>;
  ip?: string | null;
  action?: string;
  event?: string;
  rule?: string;
}

const probe = await createTestPostgres();
await probe?.drop();
const backends = [
  { name: 'SQLite', database: 'sqlite' as const, skip: false as const },
  {
    name: 'PostgreSQL',
    database: 'postgres' as const,
    skip: probe ? (false as const) : POSTGRES_SKIP_MESSAGE,
  },
];

for (const backend of backends)
  describe(`credential timeline (L6) against the running server on ${backend.name}`, {
    skip: backend.skip,
  }, () => {
    let server: TestServer;
    let upstream: RecordingUpstream;
    let integratorId: string;

    before(async () => {
      upstream = await startRecordingUpstream('production');
      server = await startTestServer({
        name: `credential-timeline-${backend.database}`,
        database: backend.database,
        gatewayFile: GATEWAY_FILE,
        env: { GATEHOUSE_UPSTREAM_PRODUCTION: upstream.url, GATEHOUSE_OAUTH_TOKEN_RATE: '1000' },
      });
      integratorId = await newIntegrator(server);
    });
    after(async () => {
      await server?.close();
      await upstream?.close();
    });

    const timeline = (id: string, query = '') =>
      server.admin('GET', `/admin/v1/credentials/${id}/timeline${query}`);
    const timelineUntil = (id: string, query: string, done: (json: HttpResponse['json']) => boolean) =>
      readUntil(
        async () => {
          const response = await timeline(id, query);
          assert.equal(response.status, 200, response.text);
          return response.json;
        },
        done,
        { timeoutMs: 15_000, what: 'the timeline to show the usage' },
      );
    const assertInTimeOrder = (entries: Entry[]) => {
      const times = entries.map((entry) => Date.parse(entry.time));
      assert.deepEqual(
        times,
        [...times].sort((a, b) => a - b),
        'entries in time order',
      );
    };

    it('shows the test’s own requests from each of its addresses, their status classes and the key’s creation and rotation, in order', async () => {
      const key = await newKey(server, { integrator_id: integratorId, environment: 'production' });
      const second = createHttpsClient(server.ca, { localAddress: '127.0.0.2' });
      try {
        for (let i = 0; i < 3; i++)
          assert.equal(
            (await server.data('/v1/orders/1', { headers: { 'x-api-key': key.key } })).status,
            200,
          );
        for (let i = 0; i < 2; i++) {
          const refused = await second.send(`${server.dataUrl}/v1/nothing`, {
            headers: { 'x-api-key': key.key },
          });
          assert.equal(refused.status, 404, refused.text);
        }
      } finally {
        await second.close();
      }
      const rotated = await server.admin('POST', `/admin/v1/keys/${key.id}/rotate`, {
        body: { overlap_seconds: 0 },
      });
      assert.equal(rotated.status, 200, rotated.text);
      const newSecret = recordSecret(rotated.json.key);
      assert.equal((await server.data('/v1/orders/2', { headers: { 'x-api-key': newSecret } })).status, 200);

      const report = await timelineUntil(key.id, '?since=1h', (json) => json.totals.requests === 6);
      assert.equal(report.credential.type, 'api_key');
      assert.equal(report.credential.id, key.id);
      assert.deepEqual(report.totals, { requests: 6, '2xx': 4, '3xx': 0, '4xx': 2, '5xx': 0 });
      assert.equal(report.truncated, false);
      const entries = report.entries as Entry[];
      assertInTimeOrder(entries);
      const usage = entries.filter((entry) => entry.type === 'usage');
      assert.equal(
        usage.reduce((sum, entry) => sum + (entry.requests ?? 0), 0),
        6,
      );
      assert.deepEqual(
        entries.filter((entry) => entry.type === 'new_ip').map((entry) => entry.ip),
        ['127.0.0.1', '127.0.0.2'],
      );
      assert.deepEqual(
        entries.filter((entry) => entry.type === 'admin_action').map((entry) => entry.action),
        ['key.create', 'key.rotate'],
      );
      assert.deepEqual(
        report.ips.map((ip: { ip: string; requests: number }) => [ip.ip, ip.requests]),
        [
          ['127.0.0.1', 4],
          ['127.0.0.2', 2],
        ],
      );
      // The same request twice answers the same (reads change nothing).
      const again = await timeline(
        key.id,
        `?since=${encodeURIComponent(report.since)}&until=${encodeURIComponent(report.until)}`,
      );
      assert.equal(again.status, 200, again.text);
      assert.deepEqual(again.json.entries, report.entries);

      // A revocation and the refused request after it are on the timeline too.
      assert.equal((await server.admin('POST', `/admin/v1/keys/${key.id}/revoke`, { body: {} })).status, 200);
      assert.equal((await server.data('/v1/orders/3', { headers: { 'x-api-key': newSecret } })).status, 401);
      const afterRevoke = await timelineUntil(key.id, '?since=1h', (json) =>
        json.entries.some((entry: Entry) => entry.type === 'security_event'),
      );
      assert.equal(afterRevoke.credential.status, 'revoked');
      assertInTimeOrder(afterRevoke.entries);
      assert.deepEqual(
        afterRevoke.entries
          .filter((entry: Entry) => entry.type === 'admin_action')
          .map((entry: Entry) => entry.action),
        ['key.create', 'key.rotate', 'key.revoke'],
      );
    });

    it('an OAuth client’s timeline shows its failed authentications, the alert they raised and its creation', async () => {
      const client = await server.admin('POST', '/admin/v1/clients', {
        body: { integrator_id: integratorId, name: 'timeline client', environment: 'production' },
      });
      assert.equal(client.status, 201, client.text);
      recordSecret(client.json.client_secret);
      for (let i = 0; i < 6; i++) {
        const refused = await server.data('/oauth/token', {
          method: 'POST',
          headers: { 'content-type': FORM },
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: client.json.client_id,
            client_secret: 'wrong-guess',
          }).toString(),
        });
        assert.equal(refused.status, 401, refused.text);
      }
      const report = await timelineUntil(client.json.id, '', (json) =>
        json.entries.some((entry: Entry) => entry.type === 'alert'),
      );
      assert.equal(report.credential.type, 'oauth_client');
      assertInTimeOrder(report.entries);
      const types = (report.entries as Entry[]).map((entry) => entry.type);
      assert.equal(types[0], 'admin_action');
      assert.ok(types.includes('security_event'), types.join());
      assert.equal(
        (report.entries as Entry[]).find((entry) => entry.type === 'alert')?.rule,
        'auth_failures',
      );
    });

    it('refuses a bad period, an unknown or malformed id and stray parameters with problem+json, never a 500', async () => {
      const key = await newKey(server, { integrator_id: integratorId });
      const refusals: [string, number, string][] = [
        [`/admin/v1/credentials/${key.id}/timeline?since=yesterday`, 400, 'validation_failed'],
        [`/admin/v1/credentials/${key.id}/timeline?since=2025-02-30`, 400, 'validation_failed'],
        [`/admin/v1/credentials/${key.id}/timeline?since=8d`, 400, 'validation_failed'],
        [`/admin/v1/credentials/${key.id}/timeline?since=1h&until=2h`, 400, 'validation_failed'],
        [`/admin/v1/credentials/${key.id}/timeline?since=${'1'.repeat(41)}`, 400, 'validation_failed'],
        [`/admin/v1/credentials/${key.id}/timeline?since=1h&since=2h`, 400, 'validation_failed'],
        [`/admin/v1/credentials/${key.id}/timeline?limit=5`, 400, 'validation_failed'],
        [`/admin/v1/credentials/${key.id}/timeline?since[gt]=1h`, 400, 'validation_failed'],
        ['/admin/v1/credentials/019700000000-7000-8000-000000000000/timeline', 400, 'validation_failed'],
        ['/admin/v1/credentials/not-an-id/timeline', 400, 'validation_failed'],
        ['/admin/v1/credentials/01970000-0000-7000-8000-000000000000/timeline', 404, 'not_found'],
        [`/admin/v1/credentials/${integratorId}/timeline`, 404, 'not_found'],
        [`/admin/v1/credentials/${key.id}/timeline/extra`, 404, 'not_found'],
      ];
      for (const [path, status, code] of refusals) {
        const response = await server.admin('GET', path);
        assert.equal(response.status, status, `${path}: ${response.text}`);
        assert.equal(response.json.code, code, path);
        assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
      }
      const bad = await server.admin('GET', `/admin/v1/credentials/${key.id}/timeline?since=soon`);
      assert.deepEqual(
        bad.json.errors.map((error: { field: string }) => error.field),
        ['querystring:/since'],
      );
      // Ids are lower case as issued; another spelling names no credential (and is no 500).
      const upper = await server.admin('GET', `/admin/v1/credentials/${key.id.toUpperCase()}/timeline`);
      assert.equal(upper.status, 404, upper.text);
    });

    it('is readable by an auditor, and by nobody without an admin token', async () => {
      const key = await newKey(server, { integrator_id: integratorId });
      const auditor = await server.admin('POST', '/admin/v1/admin-tokens', {
        body: { name: 'reviewer', role: 'auditor' },
      });
      assert.equal(auditor.status, 201, auditor.text);
      const read = await server.admin('GET', `/admin/v1/credentials/${key.id}/timeline`, {
        token: auditor.json.token,
      });
      assert.equal(read.status, 200, read.text);
      assert.deepEqual(
        read.json.entries.map((entry: Entry) => entry.action),
        ['key.create'],
      );
      const anonymous = await server.admin('GET', `/admin/v1/credentials/${key.id}/timeline`, {
        token: null,
      });
      assert.equal(anonymous.status, 401, anonymous.text);
      const withApiKey = await server.admin('GET', `/admin/v1/credentials/${key.id}/timeline`, {
        token: key.key,
      });
      assert.ok([400, 401].includes(withApiKey.status), withApiKey.text);
      assert.ok(!withApiKey.text.includes(key.key), 'the API key is not echoed');
    });
  });
