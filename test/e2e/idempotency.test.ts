import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { recordSecret } from '../support/artifacts.ts';
import type { HttpResponse } from '../support/https-client.ts';
import { createTestPostgres, POSTGRES_SKIP_MESSAGE } from '../support/postgres.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const CONCURRENT = 12;
const postgresReachable = (await createTestPostgres().then((p) => p?.drop().then(() => true))) ?? false;

for (const database of ['sqlite', 'postgres'] as const) {
  const skip = database === 'postgres' && !postgresReachable ? POSTGRES_SKIP_MESSAGE : false;

  describe(`Idempotency-Key on admin POSTs (${database})`, { skip }, () => {
    let server: TestServer;
    let integratorId: string;
    let keyCounter = 0;
    const nextKey = () => `idem-${database}-${++keyCounter}-${Date.now()}`;
    const post = (path: string, body: unknown, key: string) =>
      server.admin('POST', path, { body, headers: { 'idempotency-key': key } });
    /** Sends the same POST twice with one key: the second must be the first's answer, replayed. */
    const postTwice = async (path: string, body: unknown): Promise<HttpResponse> => {
      const key = nextKey();
      const first = await post(path, body, key);
      assert.ok(first.status < 300, `${path}: ${first.status} ${first.text}`);
      const second = await post(path, body, key);
      assert.equal(second.status, first.status, path);
      assert.equal(second.text, first.text, `${path}: the replay differs from the original`);
      assert.equal(second.headers['idempotent-replayed'], 'true', path);
      assert.equal(second.headers.location, first.headers.location, path);
      assert.equal(second.headers.etag, first.headers.etag, path);
      return first;
    };

    before(async () => {
      server = await startTestServer({
        database,
        name: `idempotency-${database}`,
        env: { GATEHOUSE_WEBHOOK_ALLOW_PRIVATE: '1' },
      });
      const integrator = await server.admin('POST', '/admin/v1/integrators', { body: { name: 'Idem Inc' } });
      integratorId = integrator.json.id;
    });
    after(() => server.close());

    it(`${CONCURRENT} concurrent requests with one key make one change and all get its answer`, async () => {
      const key = nextKey();
      const body = { integrator_id: integratorId, name: `concurrent-${database}`, environment: 'sandbox' };
      const responses = await Promise.all(
        Array.from({ length: CONCURRENT }, () => post('/admin/v1/keys', body, key)),
      );
      for (const response of responses) {
        assert.equal(response.status, 201, response.text);
        recordSecret(response.json.key);
      }
      assert.equal(new Set(responses.map((r) => r.json.id)).size, 1, 'two requests made two keys');
      assert.equal(new Set(responses.map((r) => r.json.key)).size, 1);
      const listed = await server.admin('GET', `/admin/v1/keys?integrator_id=${integratorId}&limit=200`);
      const named = listed.json.data.filter((k: { name: string }) => k.name === body.name);
      assert.equal(named.length, 1);
    });

    it('a change that failed keeps no record: the same key runs again once the cause is fixed', async () => {
      const disabled = await server.admin('POST', '/admin/v1/integrators', {
        body: { name: `Dormant ${database}`, status: 'disabled' },
      });
      const key = nextKey();
      const body = { integrator_id: disabled.json.id, name: 'after-fix', environment: 'sandbox' };
      const refused = await post('/admin/v1/keys', body, key);
      assert.equal(refused.status, 403);
      assert.equal(refused.json.code, 'integrator_disabled');
      const enabled = await server.admin('PUT', `/admin/v1/integrators/${disabled.json.id}`, {
        body: { name: disabled.json.name, email: null, status: 'active', metadata: {} },
      });
      assert.equal(enabled.status, 200, enabled.text);
      const created = await post('/admin/v1/keys', body, key);
      assert.equal(created.status, 201, created.text);
      assert.equal(created.headers['idempotent-replayed'], undefined);
      recordSecret(created.json.key);
      const replayed = await post('/admin/v1/keys', body, key);
      assert.equal(replayed.json.id, created.json.id);
      assert.equal(replayed.headers['idempotent-replayed'], 'true');
    });

    it('every admin POST that changes something answers a retry with its first answer, once', async () => {
      const key = await postTwice('/admin/v1/keys', {
        integrator_id: integratorId,
        name: 'replayed',
        environment: 'sandbox',
      });
      recordSecret(key.json.key);
      const rotated = await postTwice(`/admin/v1/keys/${key.json.id}/rotate`, { overlap_seconds: 60 });
      recordSecret(rotated.json.key);
      await postTwice(`/admin/v1/keys/${key.json.id}/revoke`, { reason: 'test' });
      const keyNow = await server.admin('GET', `/admin/v1/keys/${key.json.id}`);
      assert.equal(keyNow.json.version, key.json.version + 2, 'a rotate or revoke ran twice');

      const client = await postTwice('/admin/v1/clients', {
        integrator_id: integratorId,
        name: 'replayed',
        environment: 'sandbox',
      });
      recordSecret(client.json.client_secret);
      recordSecret(
        (await postTwice(`/admin/v1/clients/${client.json.id}/rotate-secret`, {})).json.client_secret,
      );
      await postTwice(`/admin/v1/clients/${client.json.id}/revoke`, {});
      const clientNow = await server.admin('GET', `/admin/v1/clients/${client.json.id}`);
      assert.equal(clientNow.json.version, client.json.version + 2);

      await postTwice('/admin/v1/integrators', { name: 'Replayed Ltd' });
      await postTwice('/admin/v1/event-types', { name: `replayed.${database}`, schema: { type: 'object' } });
      const endpoint = await postTwice('/admin/v1/webhook-endpoints', {
        integrator_id: integratorId,
        environment: 'sandbox',
        url: 'https://127.0.0.1:9/hooks',
        event_types: [`replayed.${database}`],
      });
      recordSecret(endpoint.json.secret);
      recordSecret(
        (await postTwice(`/admin/v1/webhook-endpoints/${endpoint.json.id}/rotate-secret`, {})).json.secret,
      );
      await postTwice(`/admin/v1/webhook-endpoints/${endpoint.json.id}/replay`, {
        since: new Date(Date.now() - 60_000).toISOString(),
      });
      const message = await postTwice('/admin/v1/events', {
        type: `replayed.${database}`,
        integrator_id: integratorId,
        environment: 'sandbox',
        data: {},
      });
      await postTwice(`/admin/v1/webhook-messages/${message.json.id}/replay`, {});
      const messages = await server.admin('GET', `/admin/v1/webhook-messages?integrator_id=${integratorId}`);
      assert.equal(messages.status, 200, messages.text);
      assert.equal(messages.json.data.length, 1, 'a publish ran twice');

      const token = await postTwice('/admin/v1/admin-tokens', { name: 'replayed', role: 'auditor' });
      recordSecret(token.json.token);
      await postTwice(`/admin/v1/admin-tokens/${token.json.id}/revoke`, {});
      const before = await server.admin('GET', '/admin/v1/signing-keys');
      await postTwice('/admin/v1/signing-keys/rotate', {});
      const afterRotate = await server.admin('GET', '/admin/v1/signing-keys');
      assert.equal(
        afterRotate.json.data.length,
        before.json.data.length + 1,
        'a signing key rotation ran twice',
      );
    });
  });
}
