import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { type RecordingUpstream, startRecordingUpstream } from '../../test/support/upstream.ts';
import { MemoryRateLimiter } from '../rate-limit/memory-rate-limiter.ts';
import type { AuthStrategy } from './auth-strategy.ts';
import { createClientAddressResolver } from './client-address.ts';
import { checkGatewayFile } from './config-file.ts';
import { createGatewayHandler } from './gateway.ts';
import type { GatewayConfig } from './gateway-config.ts';
import { InFlightLimits } from './in-flight-limit.ts';
import { HEALTH_ROUTE } from './public-route.ts';
import { Upstreams } from './upstreams.ts';

/** One Bearer token the test knows, standing in for a credential service (the gateway sees only this interface). */
const TOKEN = `test_${Math.random().toString(36).slice(2)}`;
const strategy: AuthStrategy = {
  name: 'test',
  authenticate: (credential) =>
    credential.value === TOKEN
      ? {
          ok: true,
          caller: {
            kind: 'api_key',
            credentialId: 'key_1',
            integratorId: 'int_1',
            environment: 'sandbox',
            scopes: ['orders:read'],
            scope: 'orders:read',
            rateLimit: { requests_per_second: 1, burst: 2 },
          },
        }
      : { ok: false, failure: { status: 401, code: 'key_unknown', detail: 'The API key is not known' } },
  revokeExposed: async () => false,
} as AuthStrategy;

describe('the gateway pipeline, in process (plain HTTP on 127.0.0.1, no TLS)', () => {
  let upstream: RecordingUpstream;
  let server: Server;
  let base: string;
  let upstreams: Upstreams;

  before(async () => {
    upstream = await startRecordingUpstream('sandbox');
    const file = checkGatewayFile(
      {
        environments: { sandbox: { upstream: upstream.url } },
        routes: [
          { method: 'GET', path: '/v1/orders/{id}', scopes: ['orders:read'] },
          { method: 'POST', path: '/v1/orders', scopes: ['orders:write'] },
          { method: '*', path: '/**', scopes: ['orders:read'] },
        ],
      },
      'gateway.test.yaml',
    );
    assert.deepEqual(file.problems, []);
    const config: GatewayConfig = { ...file.value, configFile: null, httpPort: null, trustedProxies: [] };
    upstreams = new Upstreams(config.environments, config.upstreamTimeouts);
    const handler = createGatewayHandler({
      config,
      strategies: [strategy],
      limiter: new MemoryRateLimiter(),
      inFlight: new InFlightLimits({ perCredential: 4, perIp: 8 }),
      upstreams,
      resolver: createClientAddressResolver([]),
      exposure: () => {},
      publicRoutes: [HEALTH_ROUTE],
      logger: pino({ level: 'silent' }),
    });
    server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await upstreams.close();
    await upstream.close();
  });

  const call = (path: string, init: RequestInit = {}, token: string | null = TOKEN) =>
    fetch(`${base}${path}`, {
      ...init,
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
    });

  it('refuses a request without a credential or with an unknown one (401 problem+json)', async () => {
    const missing = await call('/v1/orders/1', {}, null);
    assert.equal(missing.status, 401);
    assert.match(missing.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.match(missing.headers.get('www-authenticate') ?? '', /^Bearer realm="gatehouse"/);
    const unknown = await call('/v1/orders/1', {}, 'test_unknown');
    assert.equal(unknown.status, 401);
    assert.equal(((await unknown.json()) as { code: string }).code, 'key_unknown');
    assert.equal(upstream.received.length, 0);
  });

  it('refuses a route whose scopes the caller lacks (403 insufficient_scope)', async () => {
    const response = await call('/v1/orders', { method: 'POST' });
    assert.equal(response.status, 403);
    assert.equal(((await response.json()) as { code: string }).code, 'insufficient_scope');
  });

  it('proxies an allowed request to the upstream of its environment, without the credential', async () => {
    const response = await call('/v1/orders/42');
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { upstream: 'sandbox', path: '/v1/orders/42' });
    const received = upstream.received.at(-1);
    assert.equal(received?.url, '/v1/orders/42');
    assert.equal(received?.headers.authorization, undefined, 'the credential is not forwarded');
  });

  it('answers its own paths itself: another method is 405 with Allow, HEAD /healthz works, never proxied', async () => {
    const before = upstream.received.length;
    const wrongMethod = await call('/healthz', { method: 'POST' });
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get('allow'), 'GET, HEAD');
    assert.equal(((await wrongMethod.json()) as { code: string }).code, 'method_not_allowed');
    const head = await call('/healthz?probe=1', { method: 'HEAD' }, null);
    assert.equal(head.status, 200);
    assert.equal(upstream.received.length, before, 'the upstream saw none of them');
  });

  it('keeps /gatehouse/ for itself in any letter case, even under a catch-all route (404, never proxied)', async () => {
    const before = upstream.received.length;
    for (const path of ['/gatehouse/v1/unknown', '/GATEHOUSE/v1/credentials/self/rotate', '/Gatehouse/']) {
      const response = await call(path);
      assert.equal(response.status, 404, path);
      assert.equal(((await response.json()) as { code: string }).code, 'not_found', path);
    }
    assert.equal(upstream.received.length, before, 'the upstream saw none of them');
  });

  it('limits the caller to its own rate (429 with Retry-After once the burst is spent)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await call('/v1/orders/7');
      await response.arrayBuffer();
      statuses.push(response.status);
    }
    assert.ok(statuses.includes(429), `statuses: ${statuses.join(', ')}`);
    const last = await call('/v1/orders/7');
    assert.equal(last.status, 429);
    assert.ok(Number(last.headers.get('retry-after')) >= 1);
  });
});
