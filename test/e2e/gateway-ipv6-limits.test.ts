import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHttpsClient } from '../support/https-client.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

/**
 * The per-address limits count an IPv6 client by its /64: one host usually holds a whole /64, so
 * counting single addresses would give it 2^64 budgets. Clients are addresses a trusted proxy
 * (127.0.0.2) names in X-Forwarded-For.
 */
describe('gateway: per-address limits and IPv6', () => {
  let server: TestServer;
  let proxy: ReturnType<typeof createHttpsClient>;

  before(async () => {
    server = await startTestServer({
      name: 'gateway-ipv6-limits',
      gatewayFile: 'rate_limits:\n  per_ip: { requests_per_second: 0.01, burst: 3 }\nroutes: []\n',
      env: { GATEHOUSE_TRUSTED_PROXIES: '127.0.0.2/32' },
    });
    proxy = createHttpsClient(server.ca, { localAddress: '127.0.0.2' });
  });
  after(async () => {
    await proxy?.close();
    await server?.close();
  });

  const from = async (client: string) =>
    (await proxy.send(`${server.dataUrl}/v1/orders`, { headers: { 'x-forwarded-for': client } })).status;

  it('addresses of one /64 share a budget; another /64 has its own', async () => {
    assert.deepEqual(
      [await from('2001:db8::1'), await from('2001:db8::2'), await from('2001:db8::3')],
      [401, 401, 401],
    );
    assert.equal(await from('2001:db8::4'), 429, 'a fourth address of the same /64');
    assert.equal(await from('2001:db8::ffff:1'), 429);
    assert.equal(await from('2001:db8:0:1::1'), 401, 'the next /64');
    assert.equal(await from('198.51.100.7'), 401, 'an IPv4 address is counted by itself');
  });
});
