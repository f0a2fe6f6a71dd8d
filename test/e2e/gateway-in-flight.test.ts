import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect, type TLSSocket } from 'node:tls';
import { Agent, request } from 'undici';
import { eventually } from '../support/eventually.ts';
import { newKey as issueKey, newIntegrator } from '../support/fixtures.ts';
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
/** Declared body size of a streamed slow upload: above `limits.buffered_body_bytes` (16 KiB). */
const STREAMED = 65_536;
/** …and of one the gateway reads whole before it takes an upstream connection. */
const BUFFERED = 512;
const FLOODER_IP = '127.0.0.3';
const VICTIM_IP = '127.0.0.4';

/** A POST whose body trickles in, on a TLS connection of its own from `localAddress`. */
interface SlowUpload {
  /** The raw response, once the gateway has answered and closed the connection. */
  readonly response: Promise<string>;
  /** The gateway answered (and closed the connection). */
  answered: boolean;
  /** The gateway sent 100 Continue: the request passed every check and its body is awaited. */
  continued: boolean;
  /** Sends one more byte of the body, never the last. */
  trickle(): void;
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
    server = await startTestServer({
      name: 'gateway-in-flight',
      gatewayFile: GATEWAY_CONFIG,
      env: {
        GATEHOUSE_UPSTREAM_SANDBOX: upstream.url,
      },
    });
    victimAgent = new Agent({ connect: { ca: server.ca }, localAddress: VICTIM_IP, keepAliveTimeout: 1000 });
    integratorId = await newIntegrator(server, { name: 'Flood Corp' });
    trickle = setInterval(() => {
      for (const upload of open) upload.trickle();
    }, 300);
  });
  after(async () => {
    clearInterval(trickle);
    for (const upload of open) upload.abort();
    await victimAgent?.close();
    await server?.close();
    await upstream?.close();
  });

  const newKey = async (): Promise<string> =>
    (await issueKey(server, { integrator_id: integratorId, name: 'in-flight test' })).key;

  const waitUntil = (fact: () => boolean, timeoutMs: number) => eventually(fact, { timeoutMs });

  const slowUpload = (key: string, localAddress: string, declared = STREAMED, expect = false): SlowUpload => {
    const url = new URL(server.dataUrl);
    const tcp = netConnect({ host: url.hostname, port: Number(url.port), localAddress });
    const socket: TLSSocket = connect({ socket: tcp, ca: server.ca, servername: 'localhost' });
    let sent = 0;
    let text = '';
    const upload: SlowUpload = {
      answered: false,
      continued: false,
      response: new Promise((resolve) => {
        socket.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          if (text.startsWith('HTTP/1.1 100 ')) upload.continued = true;
        });
        socket.on('error', () => {});
        socket.on('close', () => {
          upload.answered = text !== '';
          open.delete(upload);
          resolve(text);
        });
      }),
      trickle() {
        if (sent > 0 && sent < declared - 1 && socket.writable) {
          socket.write('y');
          sent++;
        }
      },
      finish() {
        if (sent > 0 && socket.writable) socket.write(Buffer.alloc(declared - sent, 'z'));
        sent = declared;
      },
      abort: () => socket.destroy(),
    };
    socket.once('secureConnect', () => {
      socket.write(
        `POST /v1/uploads HTTP/1.1\r\nHost: localhost\r\nX-API-Key: ${key}\r\nConnection: close\r\n` +
          `Content-Type: application/octet-stream\r\nContent-Length: ${declared}\r\n` +
          `${expect ? 'Expect: 100-continue\r\n' : ''}\r\nfirst bytes`,
      );
      sent = 'first bytes'.length;
    });
    open.add(upload);
    return upload;
  };

  /** Opens `count` streamed slow uploads and waits until each was refused or reached the upstream. */
  const flood = async (key: string, count: number) => {
    const startedBefore = upstream.started;
    const uploads = Array.from({ length: count }, () => slowUpload(key, FLOODER_IP));
    const settled = () => uploads.filter((u) => u.answered).length + upstream.started - startedBefore;
    await waitUntil(() => settled() >= count, 5_000);
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

  /** Another key's requests while a flood is on (4 at a time): any failure, and the slowest. */
  const victimRequests = async (key: string) => {
    const latencies: number[] = [];
    const failures: string[] = [];
    const worker = async () => {
      for (let i = 0; i < 10 && failures.length === 0; i++) {
        const started = performance.now();
        try {
          const response = await request(`${server.dataUrl}/v1/orders`, {
            headers: { 'x-api-key': key },
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
    await Promise.all([worker(), worker(), worker(), worker()]);
    return { failures, slowest: Math.round(Math.max(...latencies)) };
  };

  it('a slow-body flood from one key leaves another key fast, and the flooder gets 429 too_many_in_flight past its cap', {
    timeout: 90_000,
  }, async () => {
    const flooderKey = await newKey();
    const secondFlooderKey = await newKey();
    const victimKey = await newKey();

    const first = await flood(flooderKey, 150);
    // a second key from the same address gets only what is left of the address's cap
    const second = await flood(secondFlooderKey, 40);

    const victim = await victimRequests(victimKey);
    assert.deepEqual(victim.failures, [], 'the other key was refused or stalled');
    assert.ok(victim.slowest < 2_000, `the other key waited ${victim.slowest} ms`);

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
    await waitUntil(() => upstream.aborted - abortedBefore >= PER_CREDENTIAL, 5_000);
    assert.equal(upstream.aborted - abortedBefore, PER_CREDENTIAL);
    const afterAbort = await flood(flooderKey, PER_CREDENTIAL + 1);
    assert.equal(afterAbort.admitted, PER_CREDENTIAL);
    assert.equal(afterAbort.refused.length, 1);
    for (const upload of afterAbort.uploads) upload.abort();
  });

  it('slow small bodies from many keys and addresses, each under its caps, hold no upstream connection', {
    timeout: 90_000,
  }, async () => {
    const victimKey = await newKey();
    const uploads: SlowUpload[] = [];
    // 150 slow requests > the pool's 128 connections, 50 per key and address (under 64 and 96)
    for (const address of ['127.0.0.5', '127.0.0.6', '127.0.0.7']) {
      const key = await newKey();
      for (let i = 0; i < 50; i++) uploads.push(slowUpload(key, address, BUFFERED, true));
    }
    // 100 Continue: each request passed every check and the gateway is waiting for its body
    await waitUntil(() => uploads.every((u) => u.continued), 5_000);
    assert.equal(uploads.filter((u) => u.continued).length, 150);

    const victim = await victimRequests(victimKey);
    assert.deepEqual(victim.failures, [], 'the other key was refused or stalled');
    assert.ok(victim.slowest < 2_000, `the other key waited ${victim.slowest} ms`);

    const receivedBefore = upstream.received.length;
    for (const upload of uploads) upload.finish();
    for (const upload of uploads) assert.match(await upload.response, /\r\n\r\nHTTP\/1\.1 200 /);
    const bodies = upstream.received.slice(receivedBefore).filter((r) => r.url === '/v1/uploads');
    assert.equal(bodies.length, 150);
    assert.ok(bodies.every((r) => r.body.length === BUFFERED && r.body.startsWith('first bytes')));
  });
});
