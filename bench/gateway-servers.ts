/**
 * The processes `bench/gateway.ts` measures, one role per process so each has its own event loop:
 *
 * - `upstream`: a trivial JSON API on node:http.
 * - `gatehouse <upstream> <dir>`: the real Gatehouse (API-key auth, scope check, rate limit with a
 *   high limit, request log on, written to /dev/null) with a key it creates for the run.
 * - `baseline <upstream> <dir>`: a bare reverse proxy on the same stack and certificate: node:https,
 *   an undici keep-alive pool, `Pool.stream` into the response, hop-by-hop headers dropped, no checks.
 * - `fastify <upstream> <dir> <key>`: the Fastify stack of `fastify-peer.ts`, checking `key`.
 *
 * Each reports `{ url, … }` to its parent over IPC and runs until killed.
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Pool } from 'undici';
import { createLogger, logDestination } from '../src/log/logger.ts';
import { loadConfig } from '../src/server/config.ts';
import { startGatehouse } from '../src/server/gatehouse.ts';
import { loadTlsCredentials } from '../src/tls/tls-credentials.ts';

const [role, upstreamUrl = '', dir = '', peerKey = ''] = process.argv.slice(2);
const report = (message: Record<string, unknown>) => process.send?.(message);
process.on('message', (message) => {
  // CPU time spent so far: the bench turns it into CPU per request, a steadier figure than req/s.
  if (message === 'cpu') report({ cpu: process.cpuUsage() });
  // A clean exit on request, so `node --cpu-prof` can write its profile.
  if (message === 'exit') process.exit(0);
});

if (role === 'upstream') {
  const body = JSON.stringify({ id: 'ord_123', status: 'paid', amount: 4200, currency: 'EUR' });
  const server = createHttpServer({ keepAliveTimeout: 60_000 }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  server.listen(0, '127.0.0.1', () =>
    report({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
  );
} else if (role === 'gatehouse') {
  const env = {
    GATEHOUSE_DATA_DIR: dir,
    GATEHOUSE_HOST: '127.0.0.1',
    GATEHOUSE_PORT: '0',
    GATEHOUSE_ADMIN_PORT: '0',
    GATEHOUSE_CONFIG_FILE: join(dir, 'gatehouse.config.json'),
    GATEHOUSE_UPSTREAM_SANDBOX: upstreamUrl,
    GATEHOUSE_LOG_LEVEL: 'info',
  };
  const { writeFileSync } = await import('node:fs');
  writeFileSync(
    env.GATEHOUSE_CONFIG_FILE,
    JSON.stringify({
      routes: [{ method: 'GET', path: '/v1/orders/{id}', scopes: ['orders:read'] }],
      rate_limits: {
        per_credential: { requests_per_second: 1_000_000, burst: 1_000_000 },
        per_ip: { requests_per_second: 1_000_000, burst: 1_000_000 },
      },
    }),
  );
  const config = loadConfig(env);
  const logger = createLogger({
    level: 'info',
    // The product's own destination settings, pointed at /dev/null: every request is logged in full.
    destination: logDestination('/dev/null'),
  });
  const gatehouse = await startGatehouse(config, { logger });
  const system = { actor: { type: 'system' as const, id: null, name: 'bench' } };
  const integrator = await gatehouse.services.integrators.create({ name: 'Bench' } as never, system);
  const { secret } = await gatehouse.services.keys.create(
    { integrator_id: integrator.id, name: 'bench', environment: 'sandbox', scopes: ['orders:read'] },
    system,
  );
  report({ url: gatehouse.dataUrl, key: secret, caFile: gatehouse.developmentCaFile });
} else if (role === 'baseline') {
  const tls = await loadTlsCredentials(loadConfig({ GATEHOUSE_DATA_DIR: dir }));
  const upstream = new URL(upstreamUrl);
  const pool = new Pool(upstream.origin, {
    connections: 128,
    pipelining: 1,
    keepAliveTimeout: 10_000,
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
    connect: { timeout: 5_000 },
  });
  const HOP_BY_HOP = new Set([
    'connection',
    'keep-alive',
    'proxy-connection',
    'te',
    'transfer-encoding',
    'upgrade',
    'host',
  ]);
  const server = createHttpsServer({ ...tls, minVersion: 'TLSv1.2' }, (req, res) => {
    const headers: string[] = [];
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      if (!HOP_BY_HOP.has((raw[i] as string).toLowerCase()))
        headers.push(raw[i] as string, raw[i + 1] as string);
    }
    pool.stream(
      {
        path: req.url ?? '/',
        method: (req.method ?? 'GET') as 'GET',
        headers,
        body: req.headers['content-length'] || req.headers['transfer-encoding'] ? req : null,
        opaque: res,
      },
      ({ statusCode, headers: upstreamHeaders, opaque }) => {
        const out: string[] = [];
        for (const name in upstreamHeaders) {
          const value = upstreamHeaders[name];
          if (value === undefined || HOP_BY_HOP.has(name)) continue;
          if (typeof value === 'string') out.push(name, value);
          else for (const item of value) out.push(name, item);
        }
        return opaque.writeHead(statusCode, out);
      },
      (error, { opaque }) => {
        if (error === null) return;
        if (!opaque.headersSent) opaque.writeHead(502).end();
        else opaque.destroy();
      },
    );
  });
  server.listen(0, '127.0.0.1', () =>
    report({ url: `https://127.0.0.1:${(server.address() as AddressInfo).port}` }),
  );
} else if (role === 'fastify') {
  const { startFastifyPeer } = await import('./fastify-peer.ts');
  const tls = await loadTlsCredentials(loadConfig({ GATEHOUSE_DATA_DIR: dir }));
  report({ url: await startFastifyPeer({ upstreamUrl, tls, key: peerKey }) });
} else {
  console.error(
    'usage: gateway-servers.ts upstream | gatehouse <upstream> <dir> | baseline <upstream> <dir> | fastify <upstream> <dir> <key>',
  );
  process.exit(2);
}
