import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type TLSSocket } from 'node:tls';
import { Agent, request } from 'undici';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { type RecordingUpstream, startRecordingUpstream } from '../support/upstream.ts';

// The default caps are under test: 64 in flight per credential, 96 per client address, with an
// upstream pool of 128 connections. Rate limits are out of the way so only the in-flight caps refuse.
const GATEWAY_CONFIG = `
routes:
  - { method: GET, path: /v1/orders, scopes: [] }
  - { method: POST, path: /v1/uploads, scopes: [] }
rate_limits:
  per_credential: { requests_per_second: 100000, burst: 100000 }
  per_ip: { requests_per_second: 100000, burst: 100000 }
limits:
  request_timeout_ms: 30000
`;
const PER_CREDENTIAL = 64;
const PER_IP = 96;
/** Declared body size of a slow upload: above what the gateway reads whole before forwarding. */
const DECLARED = 65_536;
const FLOODER_IP = '127.0.0.3';
const VICTIM_IP = '127.0.0.4';

/** A POST whose body trickles in, on a TLS connection of its own from `localAddress`. */
interface SlowUpload {
  /** The raw response, once the gateway has answered and closed the connection. */
  readonly response: Promise<string>;
  answered: boolean;
  /** Sends the rest of the body at once. */
  finish(): void;
  /** The client goes away mid-body. */
  abort(): void;
}

describe('gateway: one caller cannot hold the whole upstream pool', () => {
  let server: TestServer;
  let upstream: RecordingUpstream;
  let victimAgent: Agent;
  let integratorId: string;
  const open = new Set<SlowUpload>();
  let trickle: NodeJS.Timeout | undefined;

  before(async () => {
    upstream = await startRecordingUpstream('sandbox');
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-in-flight-'));
    writeFileSync(join(dir, 'gatehouse.config.yaml'), GATEWAY_CONFIG);
    server = await startTestServer({
      name: 'gateway-in-flight',
      env: {
        GATEHOUSE_CONFIG_FILE: join(dir, 'gatehouse.config.yaml'),
        GATEHOUSE_UPSTREAM_SANDBOX: upstream.url,
      },
    });
    victimAgent = new Agent({ connect: { ca: server.ca }, localAddress: VICTIM_IP, keepAliveTimeout: 1000 });
    const created = await server.admin('POST', '/admin/v1/integrators', { body: { name: 'Flood Corp' } });
    assert.equal(created.status, 201, created.text);
    integratorId = created.json.id;
  });
  after(async () => {
    clearInterval(trickle);
    for (const upload of open) upload.abort();
    await victimAgent?.close();
    await server?.close();
    await upstream?.close();
  });

  const newKey = async (): Promise<string> => {
    const response = await server.admin('POST', '/admin/v1/keys', {
      body: { integrator_id: integratorId, name: 'in-flight test', environment: 'sandbox' },
    });
    assert.equal(response.status, 201, response.text);
    return response.json.key;
  };

  const slowUpload = (key: string, localAddress: string): SlowUpload => {
    const url = new URL(server.dataUrl);
    const tcp = netConnect({ host: url.hostname, port: Number(url.port), localAddress });
    const socket: TLSSocket = connect({ socket: tcp, ca: server.ca, servername: 'localhost' });
    let sent = 0;
    let text = '';
    const upload: SlowUpload = {
      answered: false,
      response: new Promise((resolve) => {
        socket.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        socket.on('error', () => {});
        socket.on('close', () => {
          upload.answered = text !== '';
          open.delete(upload);
          resolve(text);
        });
      }),
      finish() {
        if (sent > 0 && socket.writable) socket.write(Buffer.alloc(DECLARED - sent, 'z'));
        sent = DECLARED;
      },
      abort: () => socket.destroy(),
    };
    (upload as { trickle?: () => void }).trickle = () => {
      if (sent > 0 && sent < DECLARED - 1 && socket.writable) {
        socket.write('y');
        sent++;
      }
    };
    socket.once('secureConnect', () => {
      socket.write(
        `POST /v1/uploads HTTP/1.1\r\nHost: localhost\r\nX-API-Key: ${key}\r\nConnection: close\r\n` +
          `Content-Type: application/octet-stream\r\nContent-Length: ${DECLARED}\r\n\r\nfirst bytes`,
      );
      sent = 'first bytes'.length;
    });
    open.add(upload);
    return upload;
  };

  /** Opens `count` slow uploads and waits until each was refused or reached the upstream (bounded). */
  const flood = async (key: string, count: number) => {
    const startedBefore = upstream.started;
    const uploads = Array.from({ length: count }, () => slowUpload(key, FLOODER_IP));
    const settled = () => uploads.filter((u) => u.answered).length + upstream.started - startedBefore;
    const deadline = Date.now() + 5_000;
    while (settled() < count && Date.now() < deadline) await sleep(20);
    return {
      uploads,
      admitted: upstream.started - startedBefore,
      refused: uploads.filter((u) => u.answered),
    };
  };

  const assertRefusedInFlight = async (uploads: SlowUpload[]) => {
    for (const upload of uploads) {
      const text = await upload.response;
      assert.match(text, /^HTTP\/1\.1 429 /, text.slice(0, 200));
      assert.match(text, /\r\nretry-after: 1\r\n/i);
      assert.match(text, /\r\ncontent-type: application\/problem\+json\r\n/i);
      assert.match(text, /"code":"too_many_in_flight"/);
    }
  };

  it('a slow-body flood from one key leaves another key fast, and the flooder gets 429 too_many_in_flight past its cap', {
    timeout: 90_000,
  }, async () => {
    const flooderKey = await newKey();
    const secondFlooderKey = await newKey();
    const victimKey = await newKey();
    trickle = setInterval(() => {
      for (const upload of open) (upload as { trickle?: () => void }).trickle?.();
    }, 300);

    const first = await flood(flooderKey, 150);
    // a second key from the same address: only the address's remaining slots
    const second = await flood(secondFlooderKey, 40);

    const latencies: number[] = [];
    const failures: string[] = [];
    const victim = async () => {
      for (let i = 0; i < 10 && failures.length === 0; i++) {
        const started = performance.now();
        try {
          const response = await request(`${server.dataUrl}/v1/orders`, {
            headers: { 'x-api-key': victimKey },
            dispatcher: victimAgent,
            signal: AbortSignal.timeout(5_000),
          });
          await response.body.text();
          if (response.statusCode !== 200) failures.push(`status ${response.statusCode}`);
        } catch (error) {
          failures.push((error as Error).name);
        }
        latencies.push(performance.now() - started);
      }
    };
    await Promise.all([victim(), victim(), victim(), victim()]);
    assert.deepEqual(failures, [], 'the other key was refused or stalled');
    assert.ok(
      Math.max(...latencies) < 2_000,
      `the other key waited ${Math.round(Math.max(...latencies))} ms`,
    );

    assert.equal(first.admitted, PER_CREDENTIAL);
    assert.equal(first.refused.length, 150 - PER_CREDENTIAL);
    await assertRefusedInFlight(first.refused);
    assert.equal(second.admitted, PER_IP - PER_CREDENTIAL);
    assert.equal(second.refused.length, 40 - (PER_IP - PER_CREDENTIAL));
    await assertRefusedInFlight(second.refused);

    // The admitted uploads complete normally…
    const held = [...first.uploads, ...second.uploads].filter((u) => !u.answered);
    for (const upload of held) upload.finish();
    for (const upload of held) assert.match(await upload.response, /^HTTP\/1\.1 200 /);

    // …and every slot came back: the flooder again gets exactly its cap.
    const again = await flood(flooderKey, PER_CREDENTIAL + 6);
    assert.equal(again.admitted, PER_CREDENTIAL);
    assert.equal(again.refused.length, 6);

    // Slots also come back when the client goes away mid-body.
    const abortedBefore = upstream.aborted;
    for (const upload of again.uploads) if (!upload.answered) upload.abort();
    const deadline = Date.now() + 5_000;
    while (upstream.aborted - abortedBefore < PER_CREDENTIAL && Date.now() < deadline) await sleep(20);
    assert.equal(upstream.aborted - abortedBefore, PER_CREDENTIAL);
    const afterAbort = await flood(flooderKey, PER_CREDENTIAL + 1);
    assert.equal(afterAbort.admitted, PER_CREDENTIAL);
    assert.equal(afterAbort.refused.length, 1);
    for (const upload of afterAbort.uploads) upload.abort();
  });
});
