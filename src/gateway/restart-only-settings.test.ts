import assert from 'node:assert/strict';
import { it } from 'node:test';
import { DEFAULT_GATEWAY_FILE } from './config-file.ts';
import type { GatewayConfig } from './gateway-config.ts';
import { planReload } from './restart-only-settings.ts';

const running: GatewayConfig = {
  ...DEFAULT_GATEWAY_FILE,
  configFile: '/srv/gatehouse.config.yaml',
  httpPort: 8080,
  trustedProxies: ['10.0.0.0/8'],
};

it('applies routes, upstreams, rate limits, timeouts and the body limit and needs no restart for them', () => {
  const next: GatewayConfig = {
    ...running,
    environments: {
      production: { upstream: 'https://api.internal', hosts: ['api.example.com'] },
      sandbox: { upstream: 'http://127.0.0.1:9000', hosts: [] },
    },
    routes: [
      { methods: ['GET'], path: '/v1/orders', scopes: ['orders:read'], maxBodyBytes: null, bodySchema: null },
    ],
    rateLimits: { perCredential: { requests_per_second: 5, burst: 10 }, perIp: null },
    upstreamTimeouts: { connectMs: 1000, headersMs: 2000, bodyMs: 3000 },
    limits: { ...running.limits, maxBodyBytes: 4096 },
  };
  const plan = planReload(running, next);
  assert.deepEqual(plan.needsRestart, []);
  assert.deepEqual(plan.applied, next);
});

it('names each listener setting a new file changes and keeps its running value', () => {
  const next: GatewayConfig = {
    ...running,
    limits: {
      ...running.limits,
      maxHeaderBytes: 8192,
      maxHeaders: 50,
      headersTimeoutMs: 1000,
      requestTimeoutMs: 2000,
      keepAliveTimeoutMs: 100,
      maxBodyBytes: 10,
    },
    plainHttp: { revokeExposedCredentials: true },
  };
  const plan = planReload(running, next);
  assert.deepEqual(plan.needsRestart, [
    'limits.max_header_bytes',
    'limits.max_headers',
    'limits.headers_timeout_ms',
    'limits.request_timeout_ms',
    'limits.keep_alive_timeout_ms',
    'plain_http.revoke_exposed_credentials',
  ]);
  assert.deepEqual(plan.applied.limits, { ...running.limits, maxBodyBytes: 10 });
  assert.equal(plan.applied.plainHttp.revokeExposedCredentials, false);
});
