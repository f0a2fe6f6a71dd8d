import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../support/test-server.ts';

describe('gateway: stopping Gatehouse', () => {
  let server: TestServer;
  let upstream: Server;
  let reached: () => void;
  const upstreamReached = new Promise<void>((resolve) => {
    reached = resolve;
  });

  before(async () => {
    // An upstream that takes its time, so the request is still in flight when Gatehouse stops.
    upstream = createServer((_req, res) => {
      reached();
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ report: 'done' }));
      }, 500);
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-gateway-shutdown-'));
    writeFileSync(
      join(dir, 'gatehouse.config.json'),
      JSON.stringify({ routes: [{ method: 'GET', path: '/v1/reports', scopes: [] }] }),
    );
    server = await startTestServer({
      name: 'gateway-shutdown',
      env: {
        GATEHOUSE_CONFIG_FILE: join(dir, 'gatehouse.config.json'),
        GATEHOUSE_UPSTREAM_SANDBOX: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
      },
    });
  });
  after(async () => {
    await server?.close();
    upstream?.closeAllConnections();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  it('lets a proxied request in flight finish, then refuses new connections', async () => {
    const integrator = await server.admin('POST', '/admin/v1/integrators', { body: { name: 'Reports' } });
    const key = (
      await server.admin('POST', '/admin/v1/keys', {
        body: { integrator_id: integrator.json.id, name: 'reports', environment: 'sandbox' },
      })
    ).json.key as string;
    const inFlight = server.data('/v1/reports', { headers: { 'x-api-key': key } });
    await upstreamReached;
    const stopped = server.gatehouse.close();

    const response = await inFlight;
    assert.equal(response.status, 200);
    assert.deepEqual(response.json, { report: 'done' });
    await stopped;
    await assert.rejects(fetch(`${server.dataUrl}/healthz`), (error: Error) => {
      assert.equal((error.cause as NodeJS.ErrnoException).code, 'ECONNREFUSED');
      return true;
    });
  });
});
