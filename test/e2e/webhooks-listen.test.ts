import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureDevelopmentCertificate } from '../../src/tls/development-certificate.ts';
import { eventually } from '../support/eventually.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

/** `gatehouse webhooks listen …` as a developer runs it, with everything it prints collected. */
function startListen(args: string[], env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, [MAIN, 'webhooks', 'listen', ...args], {
    env,
    stdio: 'pipe',
  });
  const output = { stdout: '', stderr: '' };
  child.stdout?.on('data', (c: Buffer) => {
    output.stdout += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    output.stderr += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output, exited };
}

describe('gatehouse webhooks listen', () => {
  let server: TestServer;
  let dir: string;
  let env: Record<string, string>;
  let integrator: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-listen-'));
    const tls = await ensureDevelopmentCertificate(dir);
    server = await startTestServer({
      name: 'webhooks-listen',
      env: { GATEHOUSE_WEBHOOK_ALLOW_PRIVATE: '1', GATEHOUSE_WEBHOOK_CA_FILE: tls.caFile },
    });
    env = {
      PATH: process.env.PATH ?? '',
      GATEHOUSE_ADMIN_URL: server.adminUrl,
      GATEHOUSE_ADMIN_TOKEN: server.ownerToken,
      GATEHOUSE_CA_FILE: join(server.dataDir, 'tls', 'ca.pem'),
      GATEHOUSE_DATA_DIR: dir,
    };
    integrator = (await server.admin('POST', '/admin/v1/integrators', { body: { name: 'Listener' } })).json
      .id;
    await server.admin('POST', '/admin/v1/event-types', {
      body: { name: 'invoice.created', schema: { type: 'object' } },
    });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const publish = async () => {
    const published = await server.admin('POST', '/admin/v1/events', {
      body: { type: 'invoice.created', integrator_id: integrator, environment: 'sandbox', data: { n: 1 } },
    });
    assert.equal(published.status, 201, published.text);
    return published.json.id as string;
  };

  it('prints each published event as verified, and stops on Ctrl-C leaving its endpoint disabled', async () => {
    const listen = startListen(['--integrator', integrator], env);
    await eventually(() => listen.output.stdout.includes('Ready.'), {
      what: `ready (${listen.output.stderr})`,
    });
    const endpointId = /for endpoint (\S+)/.exec(listen.output.stdout)?.[1] as string;
    const messageId = await publish();
    await eventually(() => listen.output.stdout.includes(messageId), { what: 'the event printed' });
    assert.match(listen.output.stdout, new RegExp(`invoice\\.created\\s+${messageId}\\s+verified`));
    assert.doesNotMatch(listen.output.stdout, /whsec_/);

    listen.child.kill('SIGINT');
    assert.equal(await listen.exited, 0, listen.output.stderr);
    const endpoint = await server.admin('GET', `/admin/v1/webhook-endpoints/${endpointId}`);
    assert.equal(endpoint.json.enabled, false);
    assert.equal(endpoint.json.description, 'gatehouse webhooks listen (development)');
  });

  it('a second listen reuses the development endpoint with a fresh secret and verifies again', async () => {
    const listen = startListen(['--integrator', integrator, '--json'], env);
    try {
      await eventually(() => listen.output.stdout.includes('Ready.'), {
        what: `ready (${listen.output.stderr})`,
      });
      const listed = await server.admin('GET', `/admin/v1/webhook-endpoints?integrator_id=${integrator}`);
      assert.equal(listed.json.data.length, 1, 'the endpoint is reused, not duplicated');
      assert.equal(listed.json.data[0].enabled, true);
      const messageId = await publish();
      const receipt = await eventually(() =>
        listen.output.stdout
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l))
          .find((r) => r.webhook_id === messageId),
      );
      assert.equal(receipt.outcome, 'accepted');
      assert.equal(receipt.event_type, 'invoice.created');
    } finally {
      listen.child.kill('SIGINT');
      await listen.exited;
    }
  });
});
