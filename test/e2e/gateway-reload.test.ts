import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runGatehouse } from '../support/cli.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

interface Upstream {
  readonly url: string;
  readonly server: Server;
  /** Resolves when a request for `/v1/slow` has arrived; it is answered once `release` is called. */
  readonly slowArrived: Promise<void>;
  release(): void;
}

/** An upstream that names itself in every answer and holds `/v1/slow` until released. */
async function startUpstream(name: string): Promise<Upstream> {
  let arrived = () => {};
  let release = () => {};
  const slowArrived = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const server = createServer((req, res) => {
    const answer = () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ upstream: name, path: req.url }));
    };
    if (req.url !== '/v1/slow') return answer();
    arrived();
    void released.then(answer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, server, slowArrived, release };
}

describe('gateway: reloading the gateway file without a restart', () => {
  let server: TestServer;
  let first: Upstream;
  let second: Upstream;
  let dir: string;
  let file: string;
  let key: string;
  const writeGatewayFile = (content: unknown) =>
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  const call = (path: string) => server.data(path, { headers: { 'x-api-key': key } });
  const reload = () => server.admin('POST', '/admin/v1/gateway/reload');

  before(async () => {
    first = await startUpstream('first');
    second = await startUpstream('second');
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-gateway-reload-'));
    file = join(dir, 'gatehouse.config.json');
    writeGatewayFile({
      environments: { sandbox: { upstream: first.url } },
      routes: [{ method: 'GET', path: '/v1/slow', scopes: [] }],
    });
    server = await startTestServer({ name: 'gateway-reload', env: { GATEHOUSE_CONFIG_FILE: file } });
    const integrator = await server.admin('POST', '/admin/v1/integrators', { body: { name: 'Reloads' } });
    key = (
      await server.admin('POST', '/admin/v1/keys', {
        body: { integrator_id: integrator.json.id, name: 'reloads', environment: 'sandbox' },
      })
    ).json.key as string;
  });
  after(async () => {
    await server?.close();
    for (const upstream of [first, second]) {
      upstream?.release();
      upstream?.server.closeAllConnections();
      await new Promise((resolve) => upstream?.server.close(resolve));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves a route added to the file after a reload, while a request begun before it finishes', async () => {
    assert.equal((await call('/v1/orders')).json.code, 'route_not_found');
    const inFlight = call('/v1/slow');
    await first.slowArrived;

    writeGatewayFile({
      environments: { sandbox: { upstream: first.url } },
      routes: [
        { method: 'GET', path: '/v1/slow', scopes: [] },
        { method: 'GET', path: '/v1/orders', scopes: [] },
      ],
    });
    const reloaded = await reload();
    assert.equal(reloaded.status, 200, reloaded.text);
    assert.deepEqual(reloaded.json, {
      status: 'reloaded',
      config_file: file,
      routes: 2,
      needs_restart: [],
    });

    const orders = await call('/v1/orders');
    assert.equal(orders.status, 200, orders.text);
    assert.deepEqual(orders.json, { upstream: 'first', path: '/v1/orders' });
    first.release();
    const slow = await inFlight;
    assert.equal(slow.status, 200, slow.text);
    assert.deepEqual(slow.json, { upstream: 'first', path: '/v1/slow' });

    const audit = await server.admin('GET', '/admin/v1/audit?action=gateway.reload');
    assert.equal(audit.json.data.length, 1);
    const [entry] = audit.json.data;
    assert.equal(entry.actor.type, 'admin_token');
    assert.deepEqual(
      entry.after.routes.map((route: { path: string }) => route.path),
      ['/v1/slow', '/v1/orders'],
    );
    assert.deepEqual(
      entry.before.routes.map((route: { path: string }) => route.path),
      ['/v1/slow'],
    );
  });

  it('refuses an invalid file with each of its problems and keeps serving the running routes', async () => {
    writeGatewayFile({
      environments: { sandbox: { upstream: second.url } },
      routes: [{ method: 'GET', path: 'v1/orders', scopes: [] }],
      colour: 'blue',
    });
    const refused = await reload();
    assert.equal(refused.status, 422, refused.text);
    assert.equal(refused.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal(refused.json.code, 'gateway_config_invalid');
    assert.deepEqual(
      refused.json.errors.map((error: { field: string; message: string }) => [error.field, error.message]),
      [
        [
          file,
          'colour is not a known setting (allowed: environments, routes, rate_limits, limits, upstream_timeouts, plain_http, paths, monitoring)',
        ],
        [file, 'routes[0].path must start with "/"'],
      ],
    );
    const orders = await call('/v1/orders');
    assert.equal(orders.status, 200, orders.text);
    assert.equal(orders.json.upstream, 'first');

    writeGatewayFile('{ "routes": [');
    const unparsable = await reload();
    assert.equal(unparsable.status, 422, unparsable.text);
    assert.match(unparsable.json.errors[0].message, /^not valid JSON/);
    assert.equal((await call('/v1/orders')).status, 200);
  });

  it('sends the next request to a changed upstream, and a request begun before still reaches the old one', async () => {
    const checked = { method: 'POST', path: '/v1/checked', scopes: [], body_schema: { type: 'object' } };
    writeGatewayFile({ environments: { sandbox: { upstream: first.url } }, routes: [checked] });
    assert.equal((await reload()).status, 200);
    // The gateway answers 100 Continue once the request passed its checks: from then on the
    // request belongs to this configuration, though it reaches the upstream only with its body.
    const body = JSON.stringify({ order: 1 });
    const request = httpsRequest(`${server.dataUrl}/v1/checked`, {
      method: 'POST',
      ca: server.ca,
      headers: {
        'x-api-key': key,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        expect: '100-continue',
      },
    });
    const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
      request.on('response', (response) => {
        let text = '';
        response.on('data', (chunk) => {
          text += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      });
      request.on('error', reject);
    });
    await new Promise<void>((resolve) => request.once('continue', resolve));

    writeGatewayFile({
      environments: { sandbox: { upstream: second.url } },
      routes: [{ method: 'GET', path: '/v1/orders', scopes: [] }],
    });
    assert.equal((await reload()).status, 200);
    assert.deepEqual((await call('/v1/orders')).json, { upstream: 'second', path: '/v1/orders' });
    assert.equal((await call('/v1/slow')).json.code, 'route_not_found');

    request.end(body);
    const begunBefore = await answered;
    assert.equal(begunBefore.status, 200, begunBefore.text);
    assert.deepEqual(JSON.parse(begunBefore.text), { upstream: 'first', path: '/v1/checked' });
  });

  it('names the settings that only a restart applies, and keeps them as they run', async () => {
    writeGatewayFile({
      environments: { sandbox: { upstream: second.url } },
      routes: [{ method: 'GET', path: '/v1/orders', scopes: [] }],
      limits: { max_headers: 8 },
    });
    const reloaded = await reload();
    assert.equal(reloaded.status, 200, reloaded.text);
    assert.deepEqual(reloaded.json.needs_restart, ['limits.max_headers']);
    // The running limit of 100 header fields still holds, so 20 extra headers pass.
    const headers: Record<string, string> = { 'x-api-key': key };
    for (let i = 0; i < 20; i++) headers[`x-extra-${i}`] = '1';
    assert.equal((await server.data('/v1/orders', { headers })).status, 200);
  });

  it('needs the admin role: an auditor token is refused', async () => {
    const auditor = await server.admin('POST', '/admin/v1/admin-tokens', {
      body: { name: 'reload auditor', role: 'auditor' },
    });
    const refused = await server.admin('POST', '/admin/v1/gateway/reload', { token: auditor.json.token });
    assert.equal(refused.status, 403);
    assert.equal(refused.json.code, 'insufficient_role');
  });

  it('`gatehouse reload` prints what it reloaded, and each problem of a file it refuses (exit 1)', async () => {
    const env = {
      ...server.env,
      PATH: process.env.PATH ?? '',
      GATEHOUSE_ADMIN_URL: server.adminUrl,
      GATEHOUSE_CA_FILE: join(server.dataDir, 'tls', 'ca.pem'),
    };
    writeGatewayFile({
      environments: { sandbox: { upstream: second.url } },
      routes: [
        { method: 'GET', path: '/v1/orders', scopes: [] },
        { method: 'POST', path: '/v1/orders', scopes: ['orders:write'] },
      ],
    });
    const done = await runGatehouse(['reload'], env);
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout, `reloaded ${file}: 2 routes\n`);

    writeGatewayFile({ routes: [{ method: 'GTE', path: '/v1/orders' }] });
    const refused = await runGatehouse(['reload'], env);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /^not reloaded: The gateway file has 2 problems; the running configuration stays\n/,
    );
    assert.ok(
      refused.stderr.includes(`  - ${file}: routes[0].method "GTE" is not an HTTP method`),
      refused.stderr,
    );
    assert.ok(refused.stderr.includes(`  - ${file}: routes[0].scopes is required`), refused.stderr);
    assert.equal((await call('/v1/orders')).status, 200);
  });
});
