import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isUuid } from '../../src/db/uuid7.ts';
import { readUntil } from '../support/eventually.ts';
import { newKey as issueKey, newIntegrator } from '../support/fixtures.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

describe('admin API: API keys end to end over HTTPS', () => {
  let server: TestServer;
  let integratorId: string;
  const verify = (secret: string, ip = '127.0.0.1', now = Date.now()) =>
    server.gatehouse.services.credentials.verify(secret, { ip }, now);

  before(async () => {
    server = await startTestServer({ name: 'admin-keys' });
    integratorId = await newIntegrator(server, { name: 'Acme Corp', email: 'ops@acme.test' });
  });
  after(() => server.close());

  const newKey = async (extra: Record<string, unknown> = {}) =>
    (
      await issueKey(server, {
        integrator_id: integratorId,
        name: 'billing sync',
        scopes: ['orders:read'],
        ...extra,
      })
    ).response;

  it('creating a key returns a UUID id and the one-time secret; reading it never shows the secret', async () => {
    const created = await newKey();
    assert.ok(isUuid(created.json.id));
    assert.match(created.json.key, /^gate_test_[0-9A-Za-z]{49}$/);
    assert.equal(created.headers.location, `/admin/v1/keys/${created.json.id}`);
    assert.equal(created.headers.etag, '"v1"');

    const read = await server.admin('GET', `/admin/v1/keys/${created.json.id}`);
    assert.equal(read.status, 200);
    assert.equal(read.json.key, undefined);
    assert.ok(!read.text.includes(created.json.key));
    assert.equal(read.json.secrets.length, 1);
    const listed = await server.admin('GET', `/admin/v1/keys?integrator_id=${integratorId}`);
    assert.ok(!listed.text.includes(created.json.key));
    assert.ok(listed.json.data.some((k: { id: string }) => k.id === created.json.id));
  });

  it('PUT replaces the whole object: a missing field is a 400 naming it, a stale If-Match a 412', async () => {
    const { json: key } = await newKey();
    const partial = await server.admin('PUT', `/admin/v1/keys/${key.id}`, { body: { name: 'renamed' } });
    assert.equal(partial.status, 400);
    assert.equal(partial.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal(partial.json.code, 'validation_failed');
    const named = partial.json.errors.map((e: { field: string }) => e.field);
    for (const field of [
      '/owner',
      '/scopes',
      '/allowed_ips',
      '/expires_at',
      '/metadata',
      '/usage_limit',
      '/rate_limit',
    ]) {
      assert.ok(named.includes(field), `${field} missing from ${named}`);
    }
    assert.ok(partial.json.request_id);

    const { key: _secret, ...current } = key;
    const replaced = await server.admin('PUT', `/admin/v1/keys/${key.id}`, {
      body: { ...current, name: 'renamed', scopes: ['orders:read', 'orders:write'] },
      headers: { 'if-match': '"v1"' },
    });
    assert.equal(replaced.status, 200, replaced.text);
    assert.equal(replaced.headers.etag, '"v2"');
    assert.deepEqual(replaced.json.scopes, ['orders:read', 'orders:write']);

    const stale = await server.admin('PUT', `/admin/v1/keys/${key.id}`, {
      body: { ...current, name: 'lost update' },
      headers: { 'if-match': '"v1"' },
    });
    assert.equal(stale.status, 412);
    assert.equal(stale.json.code, 'precondition_failed');

    const readOnly = await server.admin('PUT', `/admin/v1/keys/${key.id}`, {
      body: { ...current, environment: 'production' },
    });
    assert.equal(readOnly.status, 400);
    assert.deepEqual(
      readOnly.json.errors.map((e: { field: string }) => e.field),
      ['/environment'],
    );
    assert.equal((await server.admin('GET', `/admin/v1/keys/${key.id}`)).json.name, 'renamed');
  });

  it('rotation keeps the old secret valid during the overlap, and only the new one after', async () => {
    const { json: key } = await newKey();
    const rotated = await server.admin('POST', `/admin/v1/keys/${key.id}/rotate`, {
      body: { overlap_seconds: 1 },
    });
    assert.equal(rotated.status, 200, rotated.text);
    assert.notEqual(rotated.json.key, key.key);
    assert.equal(rotated.json.id, key.id);
    assert.equal(rotated.json.secrets.length, 2);
    const overlapEnd = Date.parse(
      rotated.json.secrets.find((s: { expires_at: string | null }) => s.expires_at !== null).expires_at,
    );
    // Verification takes the clock: the last moment of the overlap and the first after it, exactly.
    assert.equal((await verify(key.key, '127.0.0.1', overlapEnd - 1)).ok, true);
    assert.equal((await verify(rotated.json.key, '127.0.0.1', overlapEnd - 1)).ok, true);
    assert.deepEqual(await verify(key.key, '127.0.0.1', overlapEnd), {
      ok: false,
      reason: 'expired',
      credentialId: key.id,
      integratorId,
    });
    assert.equal((await verify(rotated.json.key, '127.0.0.1', overlapEnd)).ok, true);

    // The admin API reads the server's own clock, so that one check waits for the overlap to end.
    await sleep(Math.max(0, overlapEnd + 50 - Date.now()));
    assert.equal((await verify(key.key)).ok, false);
    assert.equal((await server.admin('GET', `/admin/v1/keys/${key.id}`)).json.secrets.length, 1);
  });

  it('revocation refuses every secret of the key at once', async () => {
    const { json: key } = await newKey();
    assert.equal((await verify(key.key)).ok, true);
    const revoked = await server.admin('POST', `/admin/v1/keys/${key.id}/revoke`, {
      body: { reason: 'leaked in a gist' },
    });
    assert.equal(revoked.status, 200);
    assert.equal(revoked.json.status, 'revoked');
    const result = await verify(key.key);
    assert.equal(result.ok, false);
    assert.equal(result.ok === false && result.reason, 'revoked');
    const rotate = await server.admin('POST', `/admin/v1/keys/${key.id}/rotate`, { body: {} });
    assert.equal(rotate.status, 409);
    assert.equal(rotate.json.code, 'key_not_rotatable', "not the gateway's 401 code key_revoked");
  });

  it('refuses a non-JSON body with 415 and malformed JSON with 400', async () => {
    const text = await server.admin('POST', '/admin/v1/keys', {
      body: 'name=x',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(text.status, 415);
    assert.equal(text.json.code, 'unsupported_media_type');
    const form = await server.admin('POST', '/admin/v1/keys', {
      body: 'a=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(form.status, 415);
    const broken = await server.admin('POST', '/admin/v1/keys', {
      body: '{"name": ',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(broken.status, 400);
    assert.equal(broken.json.code, 'malformed_json');
  });

  it('refuses a request without a token (401 with WWW-Authenticate) and a bad token (401)', async () => {
    const none = await server.admin('GET', '/admin/v1/keys', { token: null });
    assert.equal(none.status, 401);
    assert.match(String(none.headers['www-authenticate']), /^Bearer realm="gatehouse-admin"/);
    const wrong = await server.admin('GET', '/admin/v1/keys', {
      token: `${server.ownerToken.slice(0, -1)}${server.ownerToken.endsWith('x') ? 'y' : 'x'}`,
    });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.json.code, 'invalid_token');
    const malformed = await server.admin('GET', '/admin/v1/keys', {
      token: null,
      headers: { authorization: 'Basic abc' },
    });
    assert.equal(malformed.status, 400);
  });

  it('an auditor token reads but every mutation is a 403', async () => {
    const created = await server.admin('POST', '/admin/v1/admin-tokens', {
      body: { name: 'compliance', role: 'auditor' },
    });
    assert.equal(created.status, 201, created.text);
    const auditor = created.json.token;
    assert.equal((await server.admin('GET', '/admin/v1/keys', { token: auditor })).status, 200);
    assert.equal((await server.admin('GET', '/admin/v1/audit', { token: auditor })).status, 200);
    const denied = await server.admin('POST', '/admin/v1/keys', {
      token: auditor,
      body: { integrator_id: integratorId, name: 'x', environment: 'sandbox' },
    });
    assert.equal(denied.status, 403);
    assert.equal(denied.json.code, 'insufficient_role');
    assert.equal(
      (
        await server.admin('POST', '/admin/v1/admin-tokens', {
          token: auditor,
          body: { name: 'y', role: 'owner' },
        })
      ).status,
      403,
    );
  });

  it('the same POST twice with one Idempotency-Key creates one key and returns the same response', async () => {
    const body = { integrator_id: integratorId, name: 'idempotent', environment: 'production' };
    const headers = { 'idempotency-key': `create-${Date.now()}` };
    const first = await server.admin('POST', '/admin/v1/keys', { body, headers });
    const second = await server.admin('POST', '/admin/v1/keys', { body, headers });
    assert.equal(first.status, 201);
    assert.equal(second.status, 201);
    assert.equal(second.json.id, first.json.id);
    assert.equal(second.json.key, first.json.key);
    assert.equal(second.headers['idempotent-replayed'], 'true');
    const list = await server.admin('GET', `/admin/v1/keys?integrator_id=${integratorId}&limit=200`);
    assert.equal(list.json.data.filter((k: { name: string }) => k.name === 'idempotent').length, 1);
    const reused = await server.admin('POST', '/admin/v1/keys', {
      body: { ...body, name: 'other' },
      headers,
    });
    assert.equal(reused.status, 422);
    assert.equal(reused.json.code, 'idempotency_key_reused');
  });

  it('disabling the integrator stops all its keys at once, enabling restores them', async () => {
    const other = await server.admin('POST', '/admin/v1/integrators', { body: { name: 'Globex' } });
    const { json: key } = await server.admin('POST', '/admin/v1/keys', {
      body: { integrator_id: other.json.id, name: 'k', environment: 'production' },
    });
    assert.equal((await verify(key.key)).ok, true);
    const { id, version, created_at, updated_at, ...fields } = other.json;
    const disabled = await server.admin('PUT', `/admin/v1/integrators/${id}`, {
      body: { ...fields, status: 'disabled' },
    });
    assert.equal(disabled.status, 200, disabled.text);
    const refused = await verify(key.key);
    assert.equal(refused.ok === false && refused.reason, 'integrator_disabled');
    await server.admin('PUT', `/admin/v1/integrators/${id}`, { body: { ...fields, status: 'active' } });
    assert.equal((await verify(key.key)).ok, true);
  });

  it('every mutation is in the audit trail, without secrets, and the chain verifies', async () => {
    const { json: key } = await newKey();
    const audit = await server.admin('GET', `/admin/v1/audit?target_id=${key.id}`);
    assert.equal(audit.status, 200);
    assert.deepEqual(
      audit.json.data.map((e: { action: string }) => e.action),
      ['key.create'],
    );
    const entry = audit.json.data[0];
    assert.equal(entry.actor.type, 'admin_token');
    assert.ok(entry.request_id);
    assert.ok(!audit.text.includes(key.key));
    const verified = await server.admin('POST', '/admin/v1/audit/verify');
    assert.equal(verified.status, 200);
    assert.equal(verified.json.ok, true);
    assert.ok(verified.json.entries_checked > 5);
  });

  it('the access review lists every usable key with scopes, owner, age and last use, and no revoked key', async () => {
    const { json: used } = await newKey({ owner: 'payments team' });
    const { json: revoked } = await newKey();
    await server.admin('POST', `/admin/v1/keys/${revoked.id}/revoke`, { body: {} });
    assert.equal((await verify(used.key)).ok, true);
    // The last use is recorded off the request path: wait until the report shows it.
    const report = await readUntil(
      () => server.admin('GET', '/admin/v1/reports/access-review'),
      (r) => r.json.data.find((e: { id: string }) => e.id === used.id)?.days_since_last_use != null,
    );
    assert.equal(report.status, 200);
    const entry = report.json.data.find((e: { id: string }) => e.id === used.id);
    assert.equal(entry.owner, 'payments team');
    assert.deepEqual(entry.scopes, ['orders:read']);
    assert.equal(entry.integrator_name, 'Acme Corp');
    assert.equal(entry.age_days, 0);
    assert.equal(entry.days_since_last_use, 0);
    assert.ok(!report.json.data.some((e: { id: string }) => e.id === revoked.id));
  });

  it('serves the OpenAPI document and health checks on both ports', async () => {
    const doc = await server.admin('GET', '/admin/v1/openapi.json', { token: null });
    assert.equal(doc.status, 200);
    assert.equal(doc.json.openapi, '3.1.0');
    assert.ok(doc.json.paths['/admin/v1/keys/{id}/rotate']);
    assert.deepEqual((await server.admin('GET', '/healthz', { token: null })).json, { status: 'ok' });
    assert.deepEqual((await server.data('/healthz')).json, { status: 'ok' });
  });
});
