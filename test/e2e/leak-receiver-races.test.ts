import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { newIntegrator, newKey } from '../support/fixtures.ts';
import { createTestPostgres, POSTGRES_SKIP_MESSAGE } from '../support/postgres.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const KEY_ID = 'test-code-host-key';
const postgresReachable = (await createTestPostgres().then((p) => p?.drop().then(() => true))) ?? false;

function p256(): { privateKey: KeyObject; pem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, pem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

function keysFile(pem: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'gatehouse-leak-keys-')), 'keys.json');
  writeFileSync(
    file,
    JSON.stringify({ public_keys: [{ key_identifier: KEY_ID, key: pem, is_current: true }] }),
  );
  return file;
}

/**
 * A report body is claimed in `leak_reports` before it is answered, atomically on every instance:
 * 20 copies of one signed report sent at once on PostgreSQL (the multi-instance database) get one
 * 200 and 409 report_replayed for the rest, never a 500, and one credential_leaked event, under both
 * policies.
 */
for (const policy of ['flag', 'revoke'] as const) {
  describe(`one signed report sent 20 times at once (postgres, GATEHOUSE_LEAK_POLICY=${policy})`, {
    skip: postgresReachable ? false : POSTGRES_SKIP_MESSAGE,
  }, () => {
    const codeHost = p256();
    let server: TestServer;
    let integratorId: string;

    const report = (body: string) =>
      server.data('/secret-scanning/github', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'github-public-key-identifier': KEY_ID,
          'github-public-key-signature': sign('sha256', Buffer.from(body), codeHost.privateKey).toString(
            'base64',
          ),
        },
        body,
      });

    before(async () => {
      server = await startTestServer({
        database: 'postgres',
        name: `leak-concurrent-${policy}`,
        env: { GATEHOUSE_SECRET_SCANNING_KEYS_FILE: keysFile(codeHost.pem), GATEHOUSE_LEAK_POLICY: policy },
      });
      integratorId = await newIntegrator(server);
    });
    after(() => server?.close());

    it('is answered once (one 200, the rest 409 report_replayed, no 500) with one credential_leaked event', async () => {
      const leaked = await newKey(server, { integrator_id: integratorId, name: `leaked ${policy}` });
      const body = JSON.stringify([
        {
          token: leaked.key,
          type: 'gatehouse_api_key',
          url: 'https://github.com/octo/repo/blob/1/.env',
          source: 'content',
        },
      ]);
      const answers = await Promise.all(Array.from({ length: 20 }, () => report(body)));
      const statuses = answers.map((answer) => answer.status);
      const events = await server.admin(
        'GET',
        `/admin/v1/security-events?event=credential_leaked&credential_id=${leaked.id}`,
      );
      const audit = await server.admin('GET', `/admin/v1/audit?target_id=${leaked.id}`);
      const revocations = (audit.json.data as { action: string }[]).filter((e) => e.action === 'key.revoke');
      assert.deepEqual(
        {
          answered: statuses.filter((s) => s === 200).length,
          replayed: statuses.filter((s) => s === 409).length,
          serverErrors: statuses.filter((s) => s >= 500).length,
          events: events.json.data.length,
          revocations: revocations.length,
        },
        { answered: 1, replayed: 19, serverErrors: 0, events: 1, revocations: policy === 'revoke' ? 1 : 0 },
        `statuses ${statuses.join(',')}`,
      );
    });
  });
}
