import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { issueAccessToken } from '../support/access-token.ts';
import { recordSecret } from '../support/artifacts.ts';
import { createHttpsClient } from '../support/https-client.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { type RecordingUpstream, startRecordingUpstream } from '../support/upstream.ts';

/**
 * L2 under client misuse: a client that puts a secret where no secret belongs (a user agent, the
 * path, a query value, a Referer) still never gets it into a log, on either port, whatever kind of
 * secret it is. The test reads the server's own log file, so it fails by itself, not only through
 * the run-wide scan of `npm test`.
 */
describe('secrets sent in the wrong places never reach the log', () => {
  let server: TestServer;
  let upstream: RecordingUpstream;
  const secrets: Record<string, string> = {};

  before(async () => {
    upstream = await startRecordingUpstream('sandbox');
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-log-misuse-'));
    const configFile = join(dir, 'gatehouse.config.json');
    writeFileSync(
      configFile,
      JSON.stringify({ routes: [{ method: 'GET', path: '/v1/orders', scopes: [] }] }),
    );
    server = await startTestServer({
      name: 'log-misuse',
      env: {
        GATEHOUSE_CONFIG_FILE: configFile,
        GATEHOUSE_UPSTREAM_SANDBOX: upstream.url,
        GATEHOUSE_UPSTREAM_PRODUCTION: upstream.url,
        GATEHOUSE_WEBHOOK_ALLOW_PRIVATE: '1',
      },
    });
    const integratorId = (await server.admin('POST', '/admin/v1/integrators', { body: { name: 'Misuse' } }))
      .json.id;
    secrets.admin_token = server.ownerToken;
    const created = await server.admin('POST', '/admin/v1/admin-tokens', {
      body: { name: 'second', role: 'auditor' },
    });
    secrets.second_admin_token = recordSecret(created.json.token);
    const key = await server.admin('POST', '/admin/v1/keys', {
      body: { integrator_id: integratorId, name: 'k', environment: 'sandbox', scopes: [] },
    });
    secrets.api_key = recordSecret(key.json.key);
    const client = await server.admin('POST', '/admin/v1/clients', {
      body: { integrator_id: integratorId, name: 'c', environment: 'sandbox', scopes: [] },
    });
    secrets.client_secret = recordSecret(client.json.client_secret);
    secrets.access_token = await issueAccessToken(server, client.json);
    await server.admin('POST', '/admin/v1/event-types', { body: { name: 'misuse.seen', schema: {} } });
    const endpoint = await server.admin('POST', '/admin/v1/webhook-endpoints', {
      body: {
        integrator_id: integratorId,
        environment: 'sandbox',
        url: 'https://127.0.0.1:9/h',
        event_types: ['misuse.seen'],
      },
    });
    assert.equal(endpoint.status, 201, endpoint.text);
    secrets.webhook_secret = recordSecret(endpoint.json.secret);
    for (const [kind, secret] of Object.entries(secrets)) assert.ok(secret.length > 30, kind);
  });
  after(async () => {
    await server.close();
    await upstream.close();
  });

  it('every kind of secret, in every client-controlled place, on both ports, is answered and logged redacted', async () => {
    const client = createHttpsClient(server.ca);
    let sent = 0;
    try {
      for (const secret of Object.values(secrets)) {
        const encoded = encodeURIComponent(secret);
        const underscoresEncoded = encoded.replace(/_/g, '%5F');
        const placements = [
          { path: `/${encoded}`, headers: {} },
          { path: `/${underscoresEncoded}`, headers: {} },
          { path: `?q=${encoded}`, headers: {} },
          { path: `?jwt=${encoded}&token=${encoded}`, headers: {} },
          { path: `?page=2&filter=id:${encoded}`, headers: {} },
          { path: '', headers: { 'user-agent': `misuse-test/1.0 ${secret}` } },
          // Past the 256 characters a user agent is cut to: the secret straddles the cut.
          { path: '', headers: { 'user-agent': `${'x'.repeat(240)} ${secret}` } },
          {
            path: '',
            headers: { referer: `https://example.test/?token=${encoded}`, 'user-agent': 'misuse-test' },
          },
        ];
        for (const { path, headers } of placements) {
          for (const url of [`${server.adminUrl}/admin/v1/keys`, `${server.dataUrl}/v1/orders`]) {
            const response = await client.send(`${url}${path}`, {
              headers: { authorization: `Bearer ${secrets.api_key}`, ...headers },
            });
            assert.ok(response.status < 500, `${response.status} for ${url}`);
            for (const other of Object.values(secrets)) {
              assert.ok(!response.text.includes(other) || other === secret, 'no other secret is answered');
            }
            sent++;
          }
        }
      }
    } finally {
      await client.close();
    }
    await server.close();

    const log = readFileSync(server.logPath, 'utf8');
    for (const [kind, secret] of Object.entries(secrets)) {
      for (const form of [
        secret,
        encodeURIComponent(secret),
        encodeURIComponent(secret).replace(/_/g, '%5F'),
      ]) {
        assert.ok(!log.includes(form), `the log holds a ${kind}`);
      }
      // Nor a recognisable half of one.
      assert.ok(!log.includes(secret.slice(0, 24)), `the log holds the start of a ${kind}`);
    }
    // Every one of those requests was logged: the test saw them redacted, not left out.
    const lines = log.split('\n').filter((line) => /misuse-test|xxxxxxxxxx|\[redacted\]/.test(line));
    assert.ok(lines.length >= sent, `${lines.length} request lines for ${sent} requests`);
  });
});
