import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { eventually } from '../support/eventually.ts';
import { newIntegrator, newKey } from '../support/fixtures.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

describe('gateway: an in-flight slot comes back on every way a request can end', () => {
  let server: TestServer;
  let upstream: Server;
  let key: string;
  /** Requests the upstream holds until the test answers them. */
  const held: { res: ServerResponse; closed: boolean }[] = [];
  let uploadsStarted = 0;
  let agent: Agent;

  before(async () => {
    upstream = createServer((req, res) => {
      if (req.url === '/v1/broken') req.socket.destroy();
      else if (req.url === '/v1/silent') return;
      else if (req.url === '/v1/uploads') {
        uploadsStarted++;
        req.resume();
        req.on('end', () => res.end('{}'));
      } else {
        const entry = { res, closed: false };
        res.on('close', () => {
          entry.closed = true;
        });
        held.push(entry);
      }
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-in-flight-outcomes-'));
    writeFileSync(
      join(dir, 'gatehouse.config.json'),
      JSON.stringify({
        routes: [
          { method: 'GET', path: '/v1/**', scopes: [] },
          { method: 'POST', path: '/v1/uploads', scopes: [], max_body_bytes: 100 },
        ],
        limits: { max_in_flight_per_credential: 2, max_in_flight_per_ip: null },
        upstream_timeouts: { connect_ms: 1000, headers_ms: 300, body_ms: 300 },
      }),
    );
    server = await startTestServer({
      name: 'gateway-in-flight-outcomes',
      env: {
        GATEHOUSE_CONFIG_FILE: join(dir, 'gatehouse.config.json'),
        GATEHOUSE_UPSTREAM_SANDBOX: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
      },
    });
    const integratorId = await newIntegrator(server, { name: 'Outcomes' });
    ({ key } = await newKey(server, { integrator_id: integratorId, name: 'outcomes' }));
    agent = new Agent({ connect: { ca: server.ca } });
  });
  after(async () => {
    await agent?.close();
    await server?.close();
    upstream?.closeAllConnections();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  const waitUntil = (fact: () => boolean) => eventually(fact, { timeoutMs: 5_000, intervalMs: 10 });
  const get = async (path: string, signal?: AbortSignal) => {
    const response = await request(`${server.dataUrl}${path}`, {
      headers: { 'x-api-key': key },
      dispatcher: agent,
      ...(signal ? { signal } : {}),
    });
    const text = await response.body.text();
    return { status: response.statusCode, headers: response.headers, json: JSON.parse(text || 'null') };
  };

  it('after upstream errors, timeouts, bodies cut off, clients gone and successes, the cap admits exactly its count again', {
    timeout: 60_000,
  }, async () => {
    // Each kind of ending three times: one leaked slot per request would exhaust the cap of 2.
    for (let i = 0; i < 3; i++) {
      assert.equal((await get('/v1/broken')).json.code, 'bad_gateway');
      assert.equal((await get('/v1/silent')).json.code, 'gateway_timeout');

      const tooLarge = await request(`${server.dataUrl}/v1/uploads`, {
        method: 'POST',
        headers: { 'x-api-key': key },
        body: Readable.from([Buffer.alloc(64, 'a'), Buffer.alloc(64, 'b')]),
        dispatcher: agent,
      });
      assert.equal(tooLarge.statusCode, 413);
      await tooLarge.body.text();

      // the client goes away mid-body
      const started = uploadsStarted;
      const midBody = new AbortController();
      const hanging = request(`${server.dataUrl}/v1/uploads`, {
        method: 'POST',
        headers: { 'x-api-key': key },
        body: Readable.from(
          (async function* () {
            yield Buffer.from('partial');
            await sleep(60_000, undefined, { signal: midBody.signal }).catch(() => {});
          })(),
        ),
        signal: midBody.signal,
        dispatcher: agent,
      }).catch(() => 'aborted');
      await waitUntil(() => uploadsStarted > started);
      midBody.abort();
      assert.equal(await hanging, 'aborted');

      // the client goes away while the upstream is still working on it
      const waiting = new AbortController();
      const gone = get('/v1/held', waiting.signal).catch(() => 'aborted');
      await waitUntil(() => held.length === 1);
      waiting.abort();
      assert.equal(await gone, 'aborted');
      const [answered] = held.splice(0);
      answered?.res.writeHead(200, { 'content-type': 'application/json' });
      answered?.res.write('{"partial":');
      await waitUntil(() => answered?.closed === true); // the gateway dropped it: its slot is back

      const ok = get('/v1/held');
      await waitUntil(() => held.length === 1);
      held.splice(0)[0]?.res.end('{}');
      assert.equal((await ok).status, 200);
    }

    // Exactly the cap again: two reach the upstream, the third is refused.
    const first = [get('/v1/held'), get('/v1/held')];
    await waitUntil(() => held.length === 2);
    const third = await get('/v1/held');
    assert.equal(third.status, 429);
    assert.equal(third.json.code, 'too_many_in_flight');
    assert.equal(third.headers['retry-after'], '1');
    for (const entry of held.splice(0)) entry.res.end('{}');
    for (const response of await Promise.all(first)) assert.equal(response.status, 200);
  });
});
