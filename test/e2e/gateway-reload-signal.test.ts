import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { logFile, recordSecret } from '../support/artifacts.ts';
import { createHttpsClient } from '../support/https-client.ts';
import { testEnvironment } from '../support/test-config.ts';
import { type RecordingUpstream, startRecordingUpstream } from '../support/upstream.ts';

describe('gateway: SIGHUP reloads the gateway file of a running `gatehouse serve`', () => {
  let upstream: RecordingUpstream;
  let child: ChildProcess;
  let exited: Promise<number | null>;
  let dataDir: string;
  let file: string;
  let client: ReturnType<typeof createHttpsClient>;
  let urls: { admin_url: string; data_url: string };
  let ownerToken: string;
  let key: string;
  const seen: string[] = [];
  let waiting: { text: string; from: number; resolve: (line: string) => void } | null = null;

  /** The first log line from index `from` on that contains `text`. */
  const logLine = (text: string, from: number) =>
    new Promise<string>((resolve) => {
      const found = seen.slice(from).find((line) => line.includes(text));
      if (found !== undefined) resolve(found);
      else waiting = { text, from, resolve };
    });
  const call = (path: string) => client.send(`${urls.data_url}${path}`, { headers: { 'x-api-key': key } });
  const reloadBySignal = async (outcome: string) => {
    const from = seen.length;
    child.kill('SIGHUP');
    const line = await Promise.race([
      logLine(outcome, from),
      exited.then((code) => Promise.reject(new Error(`gatehouse exited with ${code} on SIGHUP`))),
    ]);
    return JSON.parse(line);
  };

  before(async () => {
    upstream = await startRecordingUpstream('orders');
    const environment = testEnvironment({ GATEHOUSE_LOG_LEVEL: 'info' });
    dataDir = environment.dataDir;
    ownerToken = environment.ownerToken;
    file = join(dataDir, 'gatehouse.config.yaml');
    writeFileSync(file, `environments:\n  sandbox: { upstream: "${upstream.url}" }\nroutes: []\n`);
    const log = logFile('gateway-reload-signal');
    child = spawn(process.execPath, ['src/cli/main.ts', 'serve'], {
      cwd: join(import.meta.dirname, '..', '..'),
      env: { PATH: process.env.PATH ?? '', ...environment.env, GATEHOUSE_CONFIG_FILE: file },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr?.pipe(log, { end: false });
    exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      log.write(`${line}\n`);
      seen.push(line);
      if (waiting !== null && line.includes(waiting.text)) {
        const { resolve } = waiting;
        waiting = null;
        resolve(line);
      }
    });
    urls = JSON.parse(
      await Promise.race([
        logLine('"gatehouse started"', 0),
        exited.then((code) => Promise.reject(new Error(`gatehouse exited with ${code} before it started`))),
      ]),
    );
    client = createHttpsClient(readFileSync(join(dataDir, 'tls', 'ca.pem')));
    const admin = (path: string, body: unknown) =>
      client.send(`${urls.admin_url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ownerToken}` },
        body,
      });
    const integrator = await admin('/admin/v1/integrators', { name: 'Signals' });
    const created = await admin('/admin/v1/keys', {
      integrator_id: integrator.json.id,
      name: 'signals',
      environment: 'sandbox',
    });
    key = recordSecret(created.json.key);
  });
  after(async () => {
    await client?.close();
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    await upstream?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the routes of the edited file after SIGHUP, and keeps them when the next edit is invalid', async () => {
    assert.equal((await call('/v1/orders')).json.code, 'route_not_found');

    writeFileSync(
      file,
      `environments:\n  sandbox: { upstream: "${upstream.url}" }\nroutes:\n  - { method: GET, path: /v1/orders, scopes: [] }\n`,
    );
    const reloaded = await reloadBySignal('"gateway file reloaded"');
    assert.equal(reloaded.routes, 1);
    const orders = await call('/v1/orders');
    assert.equal(orders.status, 200, orders.text);
    assert.equal(orders.json.path, '/v1/orders');

    writeFileSync(file, 'routes:\n  - { method: GET, path: /v1/orders }\n  - nonsense\n');
    const refused = await reloadBySignal('gateway file not reloaded');
    assert.equal(refused.level, 'warn');
    assert.deepEqual(refused.problems, [
      `${file}: routes[0].scopes is required: list the scopes a caller needs ([] for any valid credential)`,
      `${file}: routes[1] must be an object`,
    ]);
    assert.equal((await call('/v1/orders')).status, 200);
    assert.equal(child.exitCode, null, 'the server keeps running');

    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});
