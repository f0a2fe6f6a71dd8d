import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestPostgres, POSTGRES_SKIP_MESSAGE } from '../support/postgres.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const KEY_ID = 'test-code-host-key';
const postgresReachable = (await createTestPostgres().then((p) => p?.drop().then(() => true))) ?? false;

/**
 * A code host's report never revokes the last owner token (it stays flagged on `last_owner`), even
 * when reports naming different owner tokens arrive together: GitHub sends one report per match
 * location and retries overlap. Owner revocations take the audit chain's lock before counting the
 * owners left, so two of them cannot each count the other as the one that stays.
 */
describe('concurrent leak reports of every owner token (postgres)', {
  skip: postgresReachable ? false : POSTGRES_SKIP_MESSAGE,
}, () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  let server: TestServer;
  const report = (token: string) => {
    const body = JSON.stringify([
      {
        token,
        type: 'gatehouse_admin_token',
        url: 'https://github.com/octo/repo/blob/1/.env',
        source: 'content',
      },
    ]);
    return server.data('/secret-scanning/github', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'github-public-key-identifier': KEY_ID,
        'github-public-key-signature': sign('sha256', Buffer.from(body), privateKey).toString('base64'),
      },
      body,
    });
  };

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-owner-race-'));
    const keys = join(dir, 'keys.json');
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    writeFileSync(
      keys,
      JSON.stringify({ public_keys: [{ key_identifier: KEY_ID, key: pem, is_current: true }] }),
    );
    server = await startTestServer({
      database: 'postgres',
      name: 'leak-last-owner-race',
      env: { GATEHOUSE_SECRET_SCANNING_KEYS_FILE: keys, GATEHOUSE_LEAK_POLICY: 'revoke' },
    });
  });
  after(() => server?.close());

  it('leaves at least one working owner token', async () => {
    const owners = [server.ownerToken];
    for (let i = 0; i < 3; i++) {
      const created = await server.admin('POST', '/admin/v1/admin-tokens', {
        body: { name: `owner ${i}`, role: 'owner' },
      });
      assert.equal(created.status, 201, created.text);
      owners.push(created.json.token);
    }
    const answers = await Promise.all(owners.map((owner) => report(owner)));
    assert.deepEqual(
      answers.map((answer) => answer.status),
      owners.map(() => 200),
    );
    const working = [];
    for (const owner of owners)
      if ((await server.admin('GET', '/admin/v1/admin-tokens', { token: owner })).status === 200)
        working.push(owner);
    assert.ok(working.length >= 1, `no owner token works any more (${owners.length} reported at once)`);
  });
});
