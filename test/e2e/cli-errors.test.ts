import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runGatehouse } from '../support/cli.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const VERSION = (
  JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;

describe('what the gatehouse CLI says when something is wrong', () => {
  let server: TestServer;
  let cliEnv: Record<string, string>;
  const gatehouse = (...args: string[]) => runGatehouse(args, cliEnv);

  before(async () => {
    server = await startTestServer({ name: 'cli-errors' });
    cliEnv = {
      PATH: process.env.PATH ?? '',
      GATEHOUSE_ADMIN_URL: server.adminUrl,
      GATEHOUSE_ADMIN_TOKEN: server.ownerToken,
      GATEHOUSE_CA_FILE: join(server.dataDir, 'tls', 'ca.pem'),
    };
    await server.admin('POST', '/admin/v1/event-types', {
      body: { name: 'build.finished', schema: { type: 'object' } },
    });
  });
  after(() => server.close());

  it('prints the field errors of a refused request, one per line, under the problem detail', async () => {
    const result = await gatehouse(
      'keys',
      'create',
      '--integrator',
      '01a20000-0000-7000-8000-000000000000',
      '--name',
      'orphan',
    );
    assert.equal(result.code, 1);
    const [first, ...fields] = result.stderr.trimEnd().split('\n');
    assert.match(first as string, /^error: .+ \(\w+, HTTP 4\d\d, request [0-9a-f-]{36}\)$/);
    assert.deepEqual(fields, ['  /integrator_id: no integrator has this id']);
  });

  /** `webhooks endpoints create` for a new integrator, as a user would type it. */
  const createEndpoint = async (name: string, url: string) => {
    const integrator = JSON.parse(
      (await gatehouse('integrators', 'create', '--name', name, '--json')).stdout,
    );
    return gatehouse(
      'webhooks',
      'endpoints',
      'create',
      '--integrator',
      integrator.id,
      '--url',
      url,
      '--event-type',
      'build.finished',
    );
  };

  it('a loopback webhook URL is refused naming GATEHOUSE_WEBHOOK_ALLOW_PRIVATE', async () => {
    const result = await createEndpoint('Hooks', 'https://127.0.0.1:8443/hook');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /set GATEHOUSE_WEBHOOK_ALLOW_PRIVATE=1 \(refused in production mode\)/);
    assert.match(result.stderr, /\n {2}\/url: must not point at a loopback address\n/);
  });

  it('a webhook host that does not resolve is named, and a reserved .example name is called one', async () => {
    const result = await createEndpoint('Acme', 'https://hooks.acme.example/gatehouse');
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /\/url: names a host, hooks\.acme\.example, that does not resolve \(\.example/,
    );
    assert.ok(!result.stderr.includes('GATEHOUSE_WEBHOOK_ALLOW_PRIVATE'));
  });

  it('--version prints the version', async () => {
    for (const flag of ['--version', '-v']) {
      const result = await runGatehouse([flag]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout.trim(), VERSION);
    }
  });
});
