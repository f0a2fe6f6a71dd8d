import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { promisify } from 'node:util';
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
const dirs: string[] = [];
after(async () => {
  await server?.close();
  await upstream?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

it('the npm pack tarball installs into an empty project on the system Node 20 and its example runs there', async (t) => {
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

  upstream = await startRecordingUpstream('sandbox');
  server = await startTestServer({
    name: 'client-pack',
    gatewayFile: 'routes:\n  - method: GET\n    path: /v1/orders\n    scopes: []\n',
    env: { GATEHOUSE_UPSTREAM_SANDBOX: upstream.url },
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
});
