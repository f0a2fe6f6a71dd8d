import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { type RecordingUpstream, startRecordingUpstream } from '../support/upstream.ts';

const KEYS = 24;

/**
 * Reloads while requests come in: the data path's own writes (the first use of each key) must not
 * wait on a reload. A reload that held its audit transaction while the data path swapped made
 * those writes wait on the database lock, and every request behind them, for seconds.
 */
describe('gateway: reloading under traffic', () => {
  let server: TestServer;
  let upstream: RecordingUpstream;

  before(async () => {
    upstream = await startRecordingUpstream('sandbox');
    server = await startTestServer({
      name: 'gateway-reload-traffic',
      gatewayFile: 'routes:\n  - { method: GET, path: /v1/orders, scopes: [] }\n',
      env: { GATEHOUSE_UPSTREAM_SANDBOX: upstream.url },
    });
  });
  after(async () => {
    await server?.close();
    await upstream?.close();
  });

  it('first uses of many keys and reloads in between all finish promptly and succeed', async () => {
    const integrator = await server.admin('POST', '/admin/v1/integrators', { body: { name: 'Busy' } });
    const keys: string[] = [];
    for (let i = 0; i < KEYS; i++) {
      const created = await server.admin('POST', '/admin/v1/keys', {
        body: { integrator_id: integrator.json.id, name: `busy ${i}`, environment: 'sandbox' },
      });
      keys.push(created.json.key);
    }
    const timed = async (request: () => Promise<{ status: number }>) => {
      const started = performance.now();
      const { status } = await request();
      return { status, ms: performance.now() - started };
    };
    const calls: Promise<{ status: number; ms: number }>[] = [];
    const reloads: Promise<{ status: number; ms: number }>[] = [];
    for (const [index, key] of keys.entries()) {
      calls.push(timed(() => server.data('/v1/orders', { headers: { 'x-api-key': key } })));
      if (index % 4 === 0) reloads.push(timed(() => server.admin('POST', '/admin/v1/gateway/reload')));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const answered = await Promise.all(calls);
    const reloaded = await Promise.all(reloads);
    assert.deepEqual(
      reloaded.map((reload) => reload.status),
      reloads.map(() => 200),
    );
    assert.deepEqual(
      answered.map((call) => call.status),
      keys.map(() => 200),
    );
    // Generous for a loaded 2-core machine; a stalled data path took 10–30 s here.
    const slowest = Math.max(...answered.map((call) => call.ms), ...reloaded.map((reload) => reload.ms));
    assert.ok(slowest < 4000, `the slowest request took ${Math.round(slowest)} ms`);
  });
});
