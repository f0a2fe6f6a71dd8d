import assert from 'node:assert/strict';
import { it } from 'node:test';
import { DEFAULT_GATEWAY_FILE } from './config-file.ts';
import { Upstreams } from './upstreams.ts';

const timeouts = DEFAULT_GATEWAY_FILE.upstreamTimeouts;
const environments = (production: string | null, sandbox: string | null) => ({
  production: { upstream: production, hosts: [] },
  sandbox: { upstream: sandbox, hosts: [] },
});

it('environments with the same upstream share one pool', async () => {
  const upstreams = new Upstreams(environments('http://127.0.0.1:9000', 'http://127.0.0.1:9000'), timeouts);
  assert.equal(upstreams.for('production'), upstreams.for('sandbox'));
  assert.equal(upstreams.proxies.length, 1);
  await upstreams.close();
});

it('a reload keeps the pool of an unchanged upstream and opens new ones for a changed URL or timeouts', async () => {
  const before = new Upstreams(environments('http://127.0.0.1:9000', 'http://127.0.0.1:9001'), timeouts);
  const after = new Upstreams(environments('http://127.0.0.1:9000', 'http://127.0.0.1:9002'), timeouts, {
    previous: before,
  });
  assert.equal(after.for('production'), before.for('production'));
  assert.notEqual(after.for('sandbox'), before.for('sandbox'));
  const slower = new Upstreams(
    environments('http://127.0.0.1:9000', null),
    { ...timeouts, headersMs: timeouts.headersMs + 1 },
    { previous: after },
  );
  assert.notEqual(slower.for('production'), after.for('production'));
  assert.equal(slower.for('sandbox'), null);
  await Promise.all([before.close(), after.for('sandbox')?.close(), slower.close()]);
});
