import assert from 'node:assert/strict';
import { Agent, createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { afterEach, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { drainServer } from './drain-server.ts';

interface Answer {
  readonly status: number;
  readonly connection: string | undefined;
  readonly body: string;
}

let server: Server;
let agent: Agent;
afterEach(() => {
  agent?.destroy();
  server?.closeAllConnections();
  server?.close();
});

let arrived: () => void = () => {};
/** Resolves when the server has the next request in hand. */
const nextArrival = () =>
  new Promise<void>((resolve) => {
    arrived = resolve;
  });

/** A server that answers `ok` after the delay the path names (`/slow/300`), or at once. */
async function startServer(): Promise<number> {
  server = createServer((req, res) => {
    arrived();
    const delay = Number(req.url?.split('/')[2] ?? 0);
    setTimeout(() => res.end('ok'), delay);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return (server.address() as AddressInfo).port;
}

function request(port: number, path: string, via: Agent | false = agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent: via }, (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
    }).on('error', reject);
  });
}

it('lets a request in flight finish, then closes its connection and stops', async () => {
  const port = await startServer();
  const arrival = nextArrival();
  const inFlight = request(port, '/slow/300');
  await arrival;
  const started = performance.now();
  const drained = drainServer(server, 5_000);
  assert.deepEqual(await inFlight, { status: 200, connection: 'keep-alive', body: 'ok' });
  await drained;
  assert.ok(performance.now() - started < 2_000, 'drain waited for the keep-alive timeout');
  await assert.rejects(request(port, '/', false), { code: 'ECONNREFUSED' });
});

it('answers a request that arrives on a busy connection meanwhile with Connection: close', async () => {
  const port = await startServer();
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    received += chunk;
  });
  const ended = new Promise((resolve) => socket.once('close', resolve));
  const arrival = nextArrival();
  socket.write('GET /slow/1000 HTTP/1.1\r\nHost: x\r\n\r\n');
  await arrival;
  const drained = drainServer(server, 5_000);
  await sleep(50);
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  await ended;
  await drained;
  const responses = received.split('HTTP/1.1 ').slice(1);
  assert.equal(responses.length, 2, received);
  assert.match(responses[0] as string, /^200 [\s\S]*connection: keep-alive/i);
  assert.match(responses[1] as string, /^200 [\s\S]*connection: close/i);
});

it('cuts a connection that is still busy when the time is up', async () => {
  await startServer();
  const port = (server.address() as AddressInfo).port;
  const socket = connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  // Headers that never end: a request in progress that would hold the drain forever.
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
  const closed = new Promise((resolve) => socket.once('close', resolve));
  const started = performance.now();
  await drainServer(server, 300);
  await closed;
  const took = Math.round(performance.now() - started);
  assert.ok(took >= 250 && took < 3_000, `drain took ${took} ms`);
});
