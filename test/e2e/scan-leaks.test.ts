import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateCredential } from '../../src/crypto/key-format.ts';
import { recordSecret } from '../support/artifacts.ts';
import { runGatehouse } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { newIntegrator, newKey } from '../support/fixtures.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

/** The server has no upstream: a key that authenticates gets this, a revoked one `key_revoked`. */
const AUTHENTICATED = 'upstream_not_configured';

/** The same credential with one character of its body changed: its checksum no longer holds. */
function decoyOf(secret: string): string {
  const at = secret.length - 10;
  return `${secret.slice(0, at)}${secret[at] === 'A' ? 'B' : 'A'}${secret.slice(at + 1)}`;
}

describe('gatehouse scan --check | --revoke against the running server', () => {
  let server: TestServer;
  let cliEnv: Record<string, string>;
  let dir: string;
  let live: { id: string; key: string };
  let revoked: { id: string; key: string };
  let client: { id: string; secret: string };
  let unknown: string;

  const scan = (...args: string[]) => runGatehouse(['scan', ...args, dir], cliEnv);
  const gatewayStatus = async (key: string) =>
    (await server.data('/v1/anything', { headers: { 'x-api-key': key } })).json?.code as string | undefined;

  before(async () => {
    server = await startTestServer({ name: 'scan-leaks' });
    cliEnv = {
      PATH: process.env.PATH ?? '',
      GATEHOUSE_ADMIN_URL: server.adminUrl,
      GATEHOUSE_ADMIN_TOKEN: server.ownerToken,
      GATEHOUSE_CA_FILE: join(server.dataDir, 'tls', 'ca.pem'),
    };
    const integratorId = await newIntegrator(server);
    live = await newKey(server, { integrator_id: integratorId, name: 'leaked and live' });
    revoked = await newKey(server, { integrator_id: integratorId, name: 'leaked, revoked already' });
    const revocation = await server.admin('POST', `/admin/v1/keys/${revoked.id}/revoke`, { body: {} });
    assert.equal(revocation.status, 200, revocation.text);
    const created = await server.admin('POST', '/admin/v1/clients', {
      body: { integrator_id: integratorId, name: 'leaked client', environment: 'sandbox', scopes: [] },
    });
    assert.equal(created.status, 201, created.text);
    client = { id: created.json.id, secret: recordSecret(created.json.client_secret) };
    unknown = recordSecret(generateCredential('gate', 'test'));

    dir = mkdtempSync(join(tmpdir(), 'gatehouse-scan-leaks-'));
    writeFileSync(join(dir, '.env'), `API_KEY=${live.key}\nOLD_KEY=${revoked.key}\n`);
    writeFileSync(join(dir, 'config.yaml'), `client_secret: ${client.secret}\nother: ${unknown}\n`);
    writeFileSync(join(dir, 'notes.md'), `copied wrong: ${decoyOf(live.key)}\n`);
  });
  after(() => server.close());

  it('--check tells live, revoked and unknown apart, never reports the decoy, and changes nothing', async () => {
    const checked = await scan('--check', '--json');
    assert.equal(checked.code, 1, checked.stderr);
    const findings = JSON.parse(checked.stdout).findings as {
      file: string;
      status: string;
      credential_id: string | null;
    }[];
    const byFile = findings.map((f) => [f.file.slice(dir.length + 1), f.status, f.credential_id]);
    assert.deepEqual(byFile, [
      ['.env', 'live', live.id],
      ['.env', 'revoked', revoked.id],
      ['config.yaml', 'live', client.id],
      ['config.yaml', 'unknown', null],
    ]);
    const text = await scan('--check');
    assert.match(
      text.stdout,
      /4 credentials found in 3 files scanned: 2 live, 0 revoked now, 1 already revoked, 1 unknown/,
    );
    for (const secret of [live.key, revoked.key, client.secret, unknown])
      assert.ok(!checked.stdout.includes(secret) && !text.stdout.includes(secret), 'a secret was printed');
    assert.equal(await gatewayStatus(live.key), AUTHENTICATED, 'the live key still works');
  });

  it('--revoke asks first: without a terminal and without --yes it revokes nothing', async () => {
    const refused = await scan('--revoke');
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /not revoking 2 live credentials without confirmation; pass --yes/);
    assert.equal(await gatewayStatus(live.key), AUTHENTICATED, 'the live key still works');
  });

  it('an auditor may check but not revoke', async () => {
    const auditor = await server.admin('POST', '/admin/v1/admin-tokens', {
      body: { name: 'scan auditor', role: 'auditor' },
    });
    const token = recordSecret(auditor.json.token);
    const body = { credentials: [live.key] };
    const check = await server.admin('POST', '/admin/v1/credentials/check', { body, token });
    assert.equal(check.status, 200, check.text);
    assert.equal(check.json.results[0].status, 'live');
    const revoke = await server.admin('POST', '/admin/v1/credentials/revoke-leaked', { body, token });
    assert.equal(revoke.status, 403);
    assert.equal(revoke.json.code, 'insufficient_role');
  });

  it('--revoke --yes revokes exactly the live ones: audited, a security event and an alert each', async () => {
    const revokedNow = await scan('--revoke', '--yes', '--json');
    assert.equal(revokedNow.code, 1, revokedNow.stderr);
    const findings = JSON.parse(revokedNow.stdout).findings as { credential_id: string; revoked?: boolean }[];
    assert.deepEqual(
      findings.filter((f) => f.revoked).map((f) => f.credential_id),
      [live.id, client.id],
    );
    assert.equal(await gatewayStatus(live.key), 'key_revoked');
    assert.equal((await server.admin('GET', `/admin/v1/clients/${client.id}`)).json.status, 'revoked');

    const audit = await server.admin('GET', '/admin/v1/audit?limit=50');
    const revocations = (
      audit.json.data as { action: string; target: { id: string }; actor: { type: string } }[]
    )
      .filter((entry) => entry.action.endsWith('.revoke'))
      .map((entry) => [entry.action, entry.target.id, entry.actor.type]);
    assert.deepEqual(
      revocations.slice(0, 2).sort(),
      [
        ['key.revoke', live.id, 'admin_token'],
        ['oauth_client.revoke', client.id, 'admin_token'],
      ].sort(),
    );

    const events = await server.admin('GET', '/admin/v1/security-events?event=credential_leaked');
    assert.deepEqual(
      (events.json.data as { credential_id: string }[]).map((event) => event.credential_id).sort(),
      [live.id, client.id].sort(),
    );
    await eventually(async () => {
      const alerts = await server.admin('GET', '/admin/v1/alerts?rule=credential_leaked');
      assert.deepEqual(
        (alerts.json.data as { subject: string }[]).map((alert) => alert.subject).sort(),
        [`credential:${live.id}`, `credential:${client.id}`].sort(),
      );
      return true;
    });

    const again = await scan('--revoke', '--yes', '--json');
    assert.ok(
      (JSON.parse(again.stdout).findings as { revoked?: boolean }[]).every((f) => !f.revoked),
      'a second run revokes nothing',
    );
  });
});
