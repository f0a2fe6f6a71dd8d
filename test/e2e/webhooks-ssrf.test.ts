import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { recordSecret } from '../support/artifacts.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

describe('webhook endpoints and SSRF (W5) with the development flag off', () => {
  let server: TestServer;
  let integratorId: string;
  const register = (url: string) =>
    server.admin('POST', '/admin/v1/webhook-endpoints', {
      body: { integrator_id: integratorId, environment: 'production', url, event_types: ['user.created'] },
    });

  before(async () => {
    server = await startTestServer({ name: 'webhooks-ssrf' });
    integratorId = (await server.admin('POST', '/admin/v1/integrators', { body: { name: 'Mallory' } })).json
      .id;
    const type = await server.admin('POST', '/admin/v1/event-types', {
      body: { name: 'user.created', schema: { type: 'object' } },
    });
    assert.equal(type.status, 201, type.text);
  });
  after(() => server.close());

  const refused = [
    'http://example.com/hook',
    'https://127.0.0.1/hook',
    'https://10.0.0.1/hook',
    'https://169.254.169.254/latest/meta-data/',
    'https://[::1]/hook',
    'https://[fd00::1]/hook',
    'https://localhost/hook',
    'https://localhost.:8443/hook',
    'https://0x7f000001/hook',
    'https://[::ffff:127.0.0.1]/hook',
    'https://[::ffff:0:7f00:1]/hook',
    'https://[64:ff9b:1::a9fe:a9fe]/latest',
    'https://[2001:db8::1]/hook',
    'https://192.168.1.10:9000/hook',
    'https://100.64.0.1/hook',
    'https://[fe80::1]/hook',
    'https://[fd00:ec2::254]/latest',
    'https://user:password@example.com/hook',
  ];

  for (const url of refused) {
    it(`refuses ${url} with a problem naming the url field`, async () => {
      const response = await register(url);
      assert.equal(response.status, 422, response.text);
      assert.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8');
      assert.equal(response.json.code, 'url_not_allowed');
      assert.deepEqual(
        response.json.errors.map((e: { field: string }) => e.field),
        ['/url'],
      );
      assert.ok(response.json.request_id);
      assert.ok(!response.text.includes('stack'));
    });
  }

  it('refuses a private URL on PUT as well, leaving the endpoint unchanged', async () => {
    // The one address the flag-off server accepts without DNS: a public IP literal (never contacted here).
    const created = await register('https://93.184.216.34/hook');
    assert.equal(created.status, 201, created.text);
    recordSecret(created.json.secret);
    const { secret: _secret, ...current } = created.json;
    const replaced = await server.admin('PUT', `/admin/v1/webhook-endpoints/${created.json.id}`, {
      body: { ...current, url: 'https://127.0.0.1:8080/hook' },
    });
    assert.equal(replaced.status, 422);
    assert.equal(replaced.json.errors[0].field, '/url');
    const read = await server.admin('GET', `/admin/v1/webhook-endpoints/${created.json.id}`);
    assert.equal(read.json.url, 'https://93.184.216.34/hook');
  });
});
