import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { recordSecret } from '../support/artifacts.ts';
import { runGatehouse } from '../support/cli.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

describe('the gatehouse CLI', () => {
  let server: TestServer;
  let cliEnv: Record<string, string>;

  const gatehouse = (...args: string[]) => runGatehouse(args, cliEnv);

  before(async () => {
    server = await startTestServer({ name: 'cli' });
    cliEnv = {
      ...server.env,
      PATH: process.env.PATH ?? '',
      GATEHOUSE_ADMIN_URL: server.adminUrl,
      GATEHOUSE_CA_FILE: join(server.dataDir, 'tls', 'ca.pem'),
    };
  });
  after(() => server.close());

  it('creates, lists, shows, rotates and revokes a key, with tables for people and JSON for scripts', async () => {
    const integrator = JSON.parse(
      (await gatehouse('integrators', 'create', '--name', 'CLI Corp', '--json')).stdout,
    );
    const created = await gatehouse(
      'keys',
      'create',
      '--integrator',
      integrator.id,
      '--name',
      'cli key',
      '--scope',
      'orders:read',
      '--scope',
      'orders:write',
      '--json',
    );
    assert.equal(created.code, 0, created.stderr);
    const key = JSON.parse(created.stdout);
    recordSecret(key.key);
    assert.match(key.key, /^gate_test_/);
    assert.deepEqual(key.scopes, ['orders:read', 'orders:write']);

    const human = await gatehouse('keys', 'list', '--integrator', integrator.id);
    assert.match(human.stdout, /^ID\s+NAME\s+ENVIRONMENT\s+STATUS/);
    assert.match(human.stdout, new RegExp(`${key.id}\\s+cli key\\s+sandbox\\s+active`));
    assert.ok(!human.stdout.includes(key.key));

    const shown = await gatehouse('keys', 'show', key.id);
    assert.match(shown.stdout, /status\s+active/);
    assert.ok(!shown.stdout.includes(key.key));

    const rotated = await gatehouse('keys', 'rotate', key.id, '--overlap', '60');
    const newSecret = /new key\s+(\S+)/.exec(rotated.stdout)?.[1];
    assert.ok(newSecret);
    recordSecret(newSecret);
    assert.notEqual(newSecret, key.key);
    assert.match(rotated.stdout, /shown only once/);

    const revoked = JSON.parse(
      (await gatehouse('keys', 'revoke', key.id, '--reason', 'test', '--json')).stdout,
    );
    assert.equal(revoked.status, 'revoked');
  });

  it('manages OAuth clients and rotates the signing key', async () => {
    const integrator = JSON.parse(
      (await gatehouse('integrators', 'create', '--name', 'CLI OAuth', '--json')).stdout,
    );
    const created = await gatehouse(
      'clients',
      'create',
      '--integrator',
      integrator.id,
      '--name',
      'cli client',
      '--scope',
      'orders:read',
      '--json',
    );
    assert.equal(created.code, 0, created.stderr);
    const client = JSON.parse(created.stdout);
    recordSecret(client.client_secret);
    assert.match(
      (await gatehouse('clients', 'list', '--integrator', integrator.id)).stdout,
      new RegExp(`${client.client_id}\\s+cli client\\s+sandbox\\s+active`),
    );
    const rotated = await gatehouse('clients', 'rotate-secret', client.client_id, '--overlap', '0');
    const newSecret = /new client_secret\s+(\S+)/.exec(rotated.stdout)?.[1];
    assert.ok(newSecret);
    recordSecret(newSecret);
    assert.equal(
      JSON.parse((await gatehouse('clients', 'revoke', client.client_id, '--json')).stdout).status,
      'revoked',
    );
    const before = JSON.parse((await gatehouse('signing-keys', 'list', '--json')).stdout).data;
    const rotatedKey = JSON.parse((await gatehouse('signing-keys', 'rotate', '--json')).stdout);
    assert.ok(!before.some((k: { kid: string }) => k.kid === rotatedKey.kid));
    assert.match((await gatehouse('signing-keys', 'list')).stdout, new RegExp(`${rotatedKey.kid}\\s+active`));
  });

  it('reports API errors in one line with the code and request id, and exits non-zero', async () => {
    const missing = await gatehouse('keys', 'show', '01a20000-0000-7000-8000-000000000000');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: API key not found \(not_found, HTTP 404, request [0-9a-f-]{36}\)/);
    const noToken = await runGatehouse(['keys', 'list'], { ...cliEnv, GATEHOUSE_ADMIN_TOKEN: '' });
    assert.match(noToken.stderr, /set GATEHOUSE_ADMIN_TOKEN/);
  });

  it('creates an admin token in the local database that the API then accepts', async () => {
    const created = await gatehouse(
      'admin',
      'token',
      'create',
      '--name',
      'ci bot',
      '--role',
      'auditor',
      '--json',
    );
    assert.equal(created.code, 0, created.stderr);
    const token = recordSecret(JSON.parse(created.stdout).token);
    assert.equal((await server.admin('GET', '/admin/v1/keys', { token })).status, 200);
    assert.equal(
      (await server.admin('POST', '/admin/v1/integrators', { token, body: { name: 'x' } })).status,
      403,
    );
  });

  it('verifies the audit chain from the database and exits 2 when it is broken', async () => {
    const intact = await gatehouse('audit', 'verify');
    assert.equal(intact.code, 0, intact.stderr);
    assert.match(intact.stdout, /audit chain intact: \d+ entries verified/);
    const { db } = server.gatehouse.services.database;
    await db.updateTable('audit_log').set({ actor_name: 'mallory' }).where('seq', '=', 2).execute();
    const broken = await gatehouse('audit', 'verify', '--json');
    assert.equal(broken.code, 2);
    assert.deepEqual(JSON.parse(broken.stdout).first_broken.seq, 2);
  });
});
