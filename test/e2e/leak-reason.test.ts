import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { newIntegrator, newKey } from '../support/fixtures.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const KEY_ID = 'test-code-host-key';

/**
 * The reported `url` (from the code host, or `url` of /admin/v1/credentials/revoke-leaked) is
 * redacted wherever it is kept — the credential_leaked event and alert, the key's revocation reason
 * and, through it, the audit log — and the reason stays within the 500 characters the admin API
 * allows.
 */
describe('the leak URL in revocation reasons and the audit log', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  let server: TestServer;
  let integratorId: string;

  before(async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'gatehouse-reason-')), 'keys.json');
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    writeFileSync(
      file,
      JSON.stringify({ public_keys: [{ key_identifier: KEY_ID, key: pem, is_current: true }] }),
    );
    server = await startTestServer({
      name: 'leak-reason',
      env: { GATEHOUSE_SECRET_SCANNING_KEYS_FILE: file },
    });
    integratorId = await newIntegrator(server);
  });
  after(() => server?.close());

  it('a code host report: the event, the key and the audit entry all redact a secret in the URL', async () => {
    const leaked = await newKey(server, { integrator_id: integratorId, name: 'leaked' });
    const bystander = await newKey(server, { integrator_id: integratorId, name: 'named in the url' });
    const body = JSON.stringify([
      {
        token: leaked.key,
        type: 'gatehouse_api_key',
        url: `https://github.com/o/r/blob/1/f?k=${bystander.key}`,
        source: 'content',
      },
    ]);
    const answered = await server.data('/secret-scanning/github', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'github-public-key-identifier': KEY_ID,
        'github-public-key-signature': sign('sha256', Buffer.from(body), privateKey).toString('base64'),
      },
      body,
    });
    assert.equal(answered.status, 200, answered.text);
    const events = await server.admin(
      'GET',
      `/admin/v1/security-events?event=credential_leaked&credential_id=${leaked.id}`,
    );
    assert.ok(!events.text.includes(bystander.key), 'the event redacts it (control)');
    const key = await server.admin('GET', `/admin/v1/keys/${leaked.id}`);
    const audit = await server.admin('GET', `/admin/v1/audit?target_id=${leaked.id}`);
    assert.deepEqual(
      { inKey: key.text.includes(bystander.key), inAudit: audit.text.includes(bystander.key) },
      { inKey: false, inAudit: false },
    );
  });

  it('revoke-leaked: a 2 KiB url still gives a reason of at most 500 characters', async () => {
    const leaked = await newKey(server, { integrator_id: integratorId, name: 'long url' });
    const revoked = await server.admin('POST', '/admin/v1/credentials/revoke-leaked', {
      body: { credentials: [leaked.key], url: `https://example.test/${'a'.repeat(2000)}` },
    });
    assert.equal(revoked.status, 200, revoked.text);
    const key = await server.admin('GET', `/admin/v1/keys/${leaked.id}`);
    assert.ok(
      String(key.json.revoked_reason).length <= 500,
      `reason is ${String(key.json.revoked_reason).length} characters`,
    );
  });
});
