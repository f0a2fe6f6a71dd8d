import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newIntegrator, newKey } from '../support/fixtures.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

/** The server has no upstream: a credential that authenticates gets this. */
const AUTHENTICATED = 'upstream_not_configured';

describe('the incident admin API as an outsider tries it', () => {
  let server: TestServer;
  const gatewayCode = async (key: string) =>
    (await server.data('/v1/orders', { headers: { 'x-api-key': key } })).json?.code as string | undefined;

  before(async () => {
    server = await startTestServer({ name: 'incident-admin' });
  });
  after(async () => {
    await server.close();
  });

  it('refuses wrong roles, odd bodies and closed incidents with problem+json, never a 500', async () => {
    const created = await server.admin('POST', '/admin/v1/admin-tokens', {
      body: { name: 'ir-auditor', role: 'auditor' },
    });
    assert.equal(created.status, 201, created.text);
    const auditor = created.json.token as string;
    const opened = await server.admin('POST', '/admin/v1/incidents', {
      body: { title: 'odd inputs', severity: 'low' },
    });
    assert.equal(opened.status, 201, opened.text);
    const id = opened.json.id as string;
    assert.equal((await server.admin('GET', `/admin/v1/incidents/${id}`, { token: auditor })).status, 200);
    assert.equal((await server.admin('GET', '/admin/v1/incidents', { token: auditor })).status, 200);
    for (const [path, body] of [
      ['/admin/v1/incidents', { title: 'x', severity: 'low' }],
      [`/admin/v1/incidents/${id}/notes`, { text: 'x' }],
      [`/admin/v1/incidents/${id}/actions/revoke-all`, { environment: 'sandbox', dry_run: true }],
      ['/admin/v1/credentials/rotate-all', { environment: 'sandbox', dry_run: true }],
    ] as const) {
      const denied = await server.admin('POST', path, { token: auditor, body });
      assert.equal(denied.status, 403, `${path}: ${denied.text}`);
      assert.equal(denied.json.code, 'insufficient_role');
    }
    const bad = async (path: string, body: unknown, status: number, code: string) => {
      const response = await server.admin('POST', path, { body });
      assert.equal(response.status, status, `${path} ${JSON.stringify(body)}: ${response.text}`);
      assert.equal(response.json.code, code);
      return response;
    };
    await bad('/admin/v1/incidents', { title: 'x', severity: 'apocalyptic' }, 400, 'validation_failed');
    await bad('/admin/v1/incidents', { title: '', severity: 'low' }, 400, 'validation_failed');
    await bad('/admin/v1/incidents', { title: 'x'.repeat(201), severity: 'low' }, 400, 'validation_failed');
    await bad('/admin/v1/credentials/rotate-all', {}, 400, 'validation_failed');
    await bad('/admin/v1/credentials/rotate-all', { environment: 'staging' }, 400, 'validation_failed');
    await bad(
      '/admin/v1/credentials/rotate-all',
      { environment: 'sandbox', overlap_seconds: -1 },
      400,
      'validation_failed',
    );
    await bad(
      '/admin/v1/credentials/rotate-all',
      { environment: 'sandbox', overlap_seconds: '0' },
      400,
      'validation_failed',
    );
    await bad(
      '/admin/v1/credentials/revoke-all',
      { used_from_ip: 'not-an-ip', used_since: '2024-01-01T00:00:00Z' },
      400,
      'validation_failed',
    );
    await bad(
      '/admin/v1/credentials/revoke-all',
      { used_from_ip: 'fe80::1%eth0', used_since: '2024-01-01T00:00:00Z' },
      400,
      'validation_failed',
    );
    await bad(
      '/admin/v1/credentials/revoke-all',
      { environment: 'sandbox', secret: 'x' },
      400,
      'validation_failed',
    );
    await bad(
      `/admin/v1/incidents/${id}/attachments`,
      { kind: 'alert', id: '0190c0de-0000-7000-8000-000000000000' },
      404,
      'not_found',
    );
    await bad(
      `/admin/v1/incidents/${id}/attachments`,
      { kind: 'alert', id: '../../etc' },
      400,
      'validation_failed',
    );
    await bad(
      '/admin/v1/incidents/0190c0de-0000-7000-8000-000000000000/notes',
      { text: 'x' },
      404,
      'not_found',
    );
    const missing = await server.admin('GET', '/admin/v1/incidents/not-a-uuid');
    assert.equal(missing.status, 400);

    const key = await newKey(server, { integrator_id: await newIntegrator(server) });
    const attach = () =>
      server.admin('POST', `/admin/v1/incidents/${id}/attachments`, {
        body: { kind: 'credential', id: key.id },
      });
    assert.equal((await attach()).status, 200);
    const twice = await attach();
    assert.equal(
      twice.json.entries.filter((e: { kind: string }) => e.kind === 'credential').length,
      1,
      'attached once',
    );

    assert.equal(
      (await server.admin('POST', `/admin/v1/incidents/${id}/close`, { body: { resolution: 'false alarm' } }))
        .status,
      200,
    );
    await bad(`/admin/v1/incidents/${id}/close`, { resolution: 'again' }, 409, 'incident_closed');
    await bad(`/admin/v1/incidents/${id}/notes`, { text: 'late' }, 409, 'incident_closed');
    await bad(
      `/admin/v1/incidents/${id}/actions/revoke-all`,
      { environment: 'sandbox' },
      409,
      'incident_closed',
    );
    assert.equal(await gatewayCode(key.key), AUTHENTICATED, 'nothing was revoked under the closed incident');
  });
});
