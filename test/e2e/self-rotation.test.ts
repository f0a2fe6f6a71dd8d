import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { issueAccessToken } from '../support/access-token.ts';
import { recordSecret } from '../support/artifacts.ts';
import { newIntegrator, newKey } from '../support/fixtures.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { type RecordingUpstream, startRecordingUpstream } from '../support/upstream.ts';

const ROTATE = '/gatehouse/v1/credentials/self/rotate';

describe('a credential rotates itself over the data path (K11)', () => {
  let server: TestServer;
  let upstream: RecordingUpstream;
  let integratorId: string;

  before(async () => {
    upstream = await startRecordingUpstream('sandbox');
    server = await startTestServer({
      name: 'self-rotation',
      gatewayFile: 'routes:\n  - { method: GET, path: /v1/orders, scopes: [orders:read] }\n',
      env: { GATEHOUSE_UPSTREAM_SANDBOX: upstream.url },
    });
    integratorId = await newIntegrator(server);
  });
  after(async () => {
    await server.close();
    await upstream.close();
  });

  const rotate = (key: string, body?: unknown) =>
    server.data(ROTATE, {
      method: 'POST',
      headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body }),
    });
  const orders = (key: string) => server.data('/v1/orders', { headers: { 'x-api-key': key } });

  it('returns a new key once; both work during the overlap, and the old one stops when it ends', async () => {
    const { id, key: oldKey } = await newKey(server, {
      integrator_id: integratorId,
      scopes: ['orders:read'],
    });
    const before = Date.now();
    const rotated = await rotate(oldKey, { overlap_seconds: 1 });
    assert.equal(rotated.status, 201, rotated.text);
    assert.equal(rotated.headers['cache-control'], 'no-store');
    const newSecret = recordSecret(rotated.json.key);
    assert.equal(rotated.json.id, id);
    assert.notEqual(newSecret, oldKey);
    const previousEnd = Date.parse(rotated.json.previous_expires_at);
    assert.ok(previousEnd >= before + 1000 && previousEnd <= Date.now() + 1000);

    assert.equal((await orders(newSecret)).status, 200);
    // The old key's end is a fact the response states; wait for exactly that instant.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, previousEnd - Date.now() + 50)));
    assert.equal((await orders(oldKey)).status, 401);
    assert.equal((await orders(newSecret)).status, 200);

    const audit = await server.admin('GET', '/admin/v1/audit?limit=100');
    const entry = audit.json.data.find(
      (e: { action: string; target: { id: string } }) => e.action === 'key.rotate' && e.target.id === id,
    );
    assert.deepEqual(entry?.actor, { type: 'credential', id, name: 'api_key' });
    assert.ok(!audit.text.includes(newSecret));
  });

  it('keeps the operator’s bound on the overlap and refuses bad bodies with problem+json', async () => {
    const { key } = await newKey(server, { integrator_id: integratorId, scopes: [] });
    const tooLong = await rotate(key, { overlap_seconds: 8 * 24 * 3600 });
    assert.equal(tooLong.status, 400, tooLong.text);
    assert.equal(tooLong.json.code, 'validation_failed');
    assert.equal(tooLong.json.errors[0].field, '/overlap_seconds');
    assert.equal((await rotate(key, { overlap_seconds: -1 })).json.code, 'validation_failed');
    assert.equal((await rotate(key, { secret: 'x' })).json.code, 'validation_failed');
    const notJson = await server.data(ROTATE, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: '{"overlap_seconds":',
    });
    assert.equal(notJson.status, 400);
    assert.equal(notJson.json.code, 'malformed_json');
    const wrongType = await server.data(ROTATE, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'text/plain' },
      body: 'overlap=1',
    });
    assert.equal(wrongType.status, 415);
    // None of these rotated it: the key still works alone.
    assert.equal((await orders(key)).status, 403, 'no scope for orders, but authenticated');
  });

  it('needs a valid credential, and a revoked key cannot rotate', async () => {
    const missing = await server.data(ROTATE, { method: 'POST' });
    assert.equal(missing.status, 401);
    assert.equal(missing.json.code, 'credential_missing');
    const { id, key } = await newKey(server, { integrator_id: integratorId });
    assert.equal((await server.admin('POST', `/admin/v1/keys/${id}/revoke`, { body: {} })).status, 200);
    const revoked = await rotate(key);
    assert.equal(revoked.status, 401);
    assert.equal(revoked.json.code, 'key_revoked');
  });

  it('an OAuth client rotates its secret with one of its access tokens', async () => {
    const created = await server.admin('POST', '/admin/v1/clients', {
      body: { integrator_id: integratorId, name: 'job', environment: 'sandbox', scopes: ['orders:read'] },
    });
    assert.equal(created.status, 201, created.text);
    const client = {
      client_id: created.json.client_id,
      client_secret: recordSecret(created.json.client_secret),
    };
    const token = await issueAccessToken(server, client);
    const rotated = await server.data(ROTATE, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: { overlap_seconds: 0 },
    });
    assert.equal(rotated.status, 201, rotated.text);
    const secret = recordSecret(rotated.json.client_secret);
    assert.notEqual(secret, client.client_secret);
    await issueAccessToken(server, { client_id: client.client_id, client_secret: secret });
    const old = await server.data('/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', ...client }).toString(),
    });
    assert.equal(old.status, 401);
  });
});
