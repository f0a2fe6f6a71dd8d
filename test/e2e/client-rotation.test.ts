import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AuthenticationError,
  type ClientOptions,
  createClient,
  type GatehouseClient,
  type RequestLogRecord,
  ValidationError,
} from '../../packages/client/src/index.ts';
import { recordSecret } from '../support/artifacts.ts';
import { eventually } from '../support/eventually.ts';
import { newIntegrator, newKey } from '../support/fixtures.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { type RecordingUpstream, startRecordingUpstream } from '../support/upstream.ts';

/** Waits until `condition` holds (polling; fails loudly with `label` after 30 s). */
const waitFor = (label: string, condition: () => boolean | Promise<boolean>) =>
  eventually(condition, { what: label, timeoutMs: 30_000 });

/** Four callers in a loop on one client until stopped, counting successes and keeping failures. */
function traffic(client: GatehouseClient, path = '/v1/orders') {
  const state = { ok: 0, failures: [] as string[], running: true };
  const worker = async () => {
    while (state.running) {
      await client.get(path).then(
        () => state.ok++,
        (error: Error & { code?: string }) => state.failures.push(`${error.name} ${error.code}`),
      );
    }
  };
  const workers = [worker(), worker(), worker(), worker()];
  return {
    state,
    /** Waits for `n` more successful calls. */
    more: async (n: number) => {
      const target = state.ok + n;
      await waitFor(`${n} more calls`, () => state.ok >= target || state.failures.length > 0);
    },
    stop: async () => {
      state.running = false;
      await Promise.all(workers);
    },
  };
}

describe('@gatehouse/client rotates its credential during continuous traffic, no call failing', () => {
  let server: TestServer;
  let sandbox: RecordingUpstream;
  let integratorId: string;
  const clients: GatehouseClient[] = [];

  before(async () => {
    sandbox = await startRecordingUpstream('sandbox');
    server = await startTestServer({
      name: 'client-rotation',
      gatewayFile: 'routes:\n  - { method: GET, path: /v1/orders, scopes: [orders:read] }\n',
      env: { GATEHOUSE_UPSTREAM_SANDBOX: sandbox.url, GATEHOUSE_OAUTH_TOKEN_RATE: '1000' },
    });
    integratorId = await newIntegrator(server, { name: 'Rotation Corp' });
  });
  after(async () => {
    for (const client of clients) client.close();
    await server?.close();
    await sandbox?.close();
  });

  const client = (options: Partial<ClientOptions>) => {
    const c = createClient({ baseUrl: server.dataUrl, ca: server.ca, env: {}, ...options });
    clients.push(c);
    return c;
  };
  /** Whether `apiKey` alone is refused now (a fresh client, no retries). */
  const refused = async (apiKey: string) =>
    client({ apiKey, retries: { max: 0 } })
      .get('/v1/orders')
      .then(
        () => false,
        (error: unknown) => error instanceof AuthenticationError,
      );

  it('setCredential after an admin rotation with overlap: calls keep succeeding past the old key’s end', async () => {
    const issued = await newKey(server, { integrator_id: integratorId, scopes: ['orders:read'] });
    const c = client({ apiKey: issued.key });
    const load = traffic(c);
    await load.more(20);
    const rotated = await server.admin('POST', `/admin/v1/keys/${issued.id}/rotate`, {
      body: { overlap_seconds: 2 },
    });
    assert.equal(rotated.status, 200, rotated.text);
    const newSecret = recordSecret(rotated.json.key);
    c.setCredential(newSecret);
    await load.more(20);
    await waitFor('the old key to stop working', () => refused(issued.key));
    await load.more(20);
    await load.stop();
    assert.deepEqual(load.state.failures, []);
    assert.equal(sandbox.received.at(-1)?.headers['gatehouse-credential-id'], issued.id);
    assert.equal(await refused(newSecret), false);
  });

  it('rotate(): an API key rotates itself over the data path, persists, switches; zero failures', async () => {
    const issued = await newKey(server, { integrator_id: integratorId, scopes: ['orders:read'] });
    const c = client({ apiKey: issued.key });
    const load = traffic(c);
    await load.more(20);
    let persisted = '';
    const result = await c.rotate({
      overlap: 2,
      persist: (secret) => {
        persisted = recordSecret(secret);
      },
    });
    assert.equal(result.id, issued.id);
    assert.ok(Date.parse(String(result.previousExpiresAt)) > Date.now() - 5000);
    assert.notEqual(persisted, issued.key);
    await waitFor('the old key to stop working', () => refused(issued.key));
    await load.more(20);
    await load.stop();
    assert.deepEqual(load.state.failures, []);
    assert.equal(await refused(persisted), false);
    const audit = await server.admin('GET', '/admin/v1/audit?limit=100');
    const entry = audit.json.data.find(
      (e: { action: string; target: { id: string } }) =>
        e.action === 'key.rotate' && e.target.id === issued.id,
    );
    assert.deepEqual(entry?.actor, { type: 'credential', id: issued.id, name: 'api_key' });
  });

  it('rotate() beyond the operator’s bound is a ValidationError; persist is not called, the key is kept', async () => {
    const issued = await newKey(server, { integrator_id: integratorId, scopes: ['orders:read'] });
    const c = client({ apiKey: issued.key });
    let persisted = false;
    const error = await c
      .rotate({
        overlap: 8 * 24 * 3600,
        persist: () => {
          persisted = true;
        },
      })
      .catch((e: unknown) => e);
    assert.ok(error instanceof ValidationError, String(error));
    assert.equal(error.code, 'validation_failed');
    assert.equal(error.fields[0]?.field, '/overlap_seconds');
    assert.equal(persisted, false);
    assert.deepEqual(await c.get('/v1/orders'), { upstream: 'sandbox', path: '/v1/orders' });
  });

  it('rotate(): an OAuth client rotates its secret; later token fetches use the new one; zero failures', async () => {
    const created = await server.admin('POST', '/admin/v1/clients', {
      body: {
        integrator_id: integratorId,
        name: 'rotating job',
        environment: 'sandbox',
        scopes: ['orders:read'],
        token_ttl_seconds: 60,
      },
    });
    assert.equal(created.status, 201, created.text);
    const oldSecret = recordSecret(created.json.client_secret);
    const records: RequestLogRecord[] = [];
    const c = client({
      clientId: created.json.client_id,
      clientSecret: oldSecret,
      // A token is refreshed 1.5 s after it is issued: several fetches happen during this test.
      tokenRefreshMarginMs: 58_500,
      logger: (record) => records.push(record),
    });
    const load = traffic(c);
    await load.more(20);
    let persisted = '';
    await c.rotate({
      overlap: 1,
      persist: (secret) => {
        persisted = recordSecret(secret);
      },
    });
    const oldSecretRefused = async () => {
      const answer = await server.data('/oauth/token', {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${created.json.client_id}:${oldSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      });
      return answer.status === 401;
    };
    await waitFor('the old client secret to stop working', oldSecretRefused);
    const fetchesAtExpiry = records.filter((r) => r.path === '/oauth/token' && r.outcome === 'ok').length;
    await waitFor(
      'a token fetched with the new secret',
      () => records.filter((r) => r.path === '/oauth/token' && r.outcome === 'ok').length > fetchesAtExpiry,
    );
    await load.more(20);
    await load.stop();
    assert.deepEqual(load.state.failures, []);
    assert.notEqual(persisted, oldSecret);
    assert.ok(!records.some((r) => r.outcome === 'error'), JSON.stringify(records.slice(-5)));
    assert.ok(!JSON.stringify(records).includes(persisted) && !JSON.stringify(records).includes(oldSecret));
  });
});
