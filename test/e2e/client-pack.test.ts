import assert from 'node:assert/strict';
import { type ChildProcess, execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { promisify } from 'node:util';
import { ensureDevelopmentCertificate } from '../../src/tls/development-certificate.ts';
import { recordSecret } from '../support/artifacts.ts';
import { eventually } from '../support/eventually.ts';
import { newIntegrator, newKey } from '../support/fixtures.ts';
import { requireSystemNode20 } from '../support/system-node.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { type RecordingUpstream, startRecordingUpstream } from '../support/upstream.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const PACKAGE = join(ROOT, 'packages', 'client');
const CHECK = `
import { createClient } from '@gatehouse/client';
try {
  createClient({ baseUrl: 'http://api.example.com', apiKey: 'k' });
  process.exit(2);
} catch (error) {
  if (!/https/.test(error.message)) process.exit(3);
}
console.log('refused http:// on', process.version);
`;

let server: TestServer | undefined;
let upstream: RecordingUpstream | undefined;
let receiver: ChildProcess | undefined;
const dirs: string[] = [];
after(async () => {
  if (receiver?.exitCode === null) {
    const exited = new Promise((resolve) => receiver?.once('exit', resolve));
    receiver.kill('SIGTERM');
    const stuck = setTimeout(() => receiver?.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(stuck);
  }
  await server?.close();
  await upstream?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

it('the npm pack tarball installs into an empty project on the system Node 20 and its examples run there', async (t) => {
  const system = requireSystemNode20(t);
  if (!system) return;
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', join(PACKAGE, 'tsconfig.build.json')], { stdio: 'inherit' });
  const packed = mkdtempSync(join(tmpdir(), 'gatehouse-client-pack-'));
  const project = mkdtempSync(join(tmpdir(), 'gatehouse-client-project-'));
  dirs.push(packed, project);
  // Built above with the project's TypeScript; the system npm only packs and installs.
  execFileSync(system.npm, ['pack', '--ignore-scripts', '--pack-destination', packed], {
    cwd: PACKAGE,
    stdio: 'pipe',
  });
  const tarball = readdirSync(packed).find((f) => f.endsWith('.tgz'));
  assert.ok(tarball, 'a tarball');
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'integrator', private: true, type: 'module' }),
  );
  execFileSync(system.npm, ['install', join(packed, tarball), '--offline', '--no-audit', '--no-fund'], {
    cwd: project,
    stdio: 'pipe',
  });
  writeFileSync(join(project, 'check.mjs'), CHECK);
  const check = spawnSync(system.node, ['check.mjs'], { cwd: project, encoding: 'utf8' });
  assert.equal(check.status, 0, check.stderr);
  assert.match(check.stdout, /refused http:\/\/ on v20\./);

  // The receiver example's certificate, and the CA Gatehouse's webhook engine is told to trust.
  const tls = await ensureDevelopmentCertificate(project);
  upstream = await startRecordingUpstream('sandbox');
  server = await startTestServer({
    name: 'client-pack',
    gatewayFile: 'routes:\n  - method: GET\n    path: /v1/orders\n    scopes: []\n',
    env: {
      GATEHOUSE_UPSTREAM_SANDBOX: upstream.url,
      GATEHOUSE_WEBHOOK_ALLOW_PRIVATE: '1',
      GATEHOUSE_WEBHOOK_CA_FILE: tls.caFile,
    },
  });
  const integrator = await newIntegrator(server);
  const { key } = await newKey(server, { integrator_id: integrator });
  const caFile = join(project, 'ca.pem');
  writeFileSync(caFile, server.ca);
  copyFileSync(join(PACKAGE, 'examples', 'integrator.mjs'), join(project, 'integrator.mjs'));
  // Asynchronously: the server runs in this process and must keep answering.
  const run = await promisify(execFile)(system.node, ['integrator.mjs'], {
    cwd: project,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      GATEHOUSE_URL: server.dataUrl,
      GATEHOUSE_API_KEY: key,
      GATEHOUSE_CA_FILE: caFile,
    },
    timeout: 60_000,
  });
  assert.deepEqual(JSON.parse(run.stdout).data, { upstream: 'sandbox', path: '/v1/orders' });
  assert.ok(!run.stdout.includes(key) && !run.stderr.includes(key));

  // The receiver example, from the same install, gets a genuine delivery from the webhook engine.
  copyFileSync(join(PACKAGE, 'examples', 'receiver.mjs'), join(project, 'receiver.mjs'));
  const created = await server.admin('POST', '/admin/v1/event-types', {
    body: { name: 'order.paid', schema: { type: 'object' } },
  });
  assert.equal(created.status, 201, created.text);
  const port = await freePort();
  const endpoint = await server.admin('POST', '/admin/v1/webhook-endpoints', {
    body: {
      integrator_id: integrator,
      environment: 'sandbox',
      event_types: ['order.paid'],
      url: `https://127.0.0.1:${port}/webhooks`,
    },
  });
  assert.equal(endpoint.status, 201, endpoint.text);
  const secret = recordSecret(endpoint.json.secret as string);
  const out = { stdout: '', stderr: '' };
  receiver = spawn(system.node, ['receiver.mjs'], {
    cwd: project,
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      GATEHOUSE_WEBHOOK_SECRET: secret,
      TLS_CERT_FILE: tls.certFile,
      TLS_KEY_FILE: tls.keyFile,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  receiver.stdout?.on('data', (c: Buffer) => {
    out.stdout += c.toString();
  });
  receiver.stderr?.on('data', (c: Buffer) => {
    out.stderr += c.toString();
  });
  await eventually(() => out.stderr.includes(`listening on https://localhost:${port}`), {
    what: `the receiver example to listen (${out.stderr})`,
  });
  const published = await server.admin('POST', '/admin/v1/events', {
    body: {
      type: 'order.paid',
      integrator_id: integrator,
      environment: 'sandbox',
      data: { order_id: 'o-7' },
    },
  });
  assert.equal(published.status, 201, published.text);
  const line = await eventually(
    () => out.stdout.split('\n').find((l) => l.includes(published.json.id as string)),
    { what: 'the receiver example to print the event', timeoutMs: 30_000 },
  );
  assert.deepEqual(JSON.parse(line), {
    id: published.json.id,
    type: 'order.paid',
    data: { order_id: 'o-7' },
  });
  assert.match(out.stderr, /"outcome":"accepted"/);
  for (const text of [out.stdout, out.stderr]) assert.ok(!text.includes(secret));
});

/** A port nothing listens on right now (the receiver example is told to listen there). */
async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
