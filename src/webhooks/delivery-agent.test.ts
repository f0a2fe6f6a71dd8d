import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { ensureDevelopmentCertificate } from '../tls/development-certificate.ts';
import { createDeliveryAgent } from './delivery-agent.ts';
import { describeFailure } from './delivery-attempt.ts';
import type { ResolveAll } from './endpoint-url.ts';

describe('the delivery client', () => {
  let dir: string;
  let server: Server;
  let port: number;
  let ca: string;
  let received = 0;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-agent-'));
    const files = await ensureDevelopmentCertificate(dir);
    ca = readFileSync(files.caFile, 'utf8');
    server = createServer(
      { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) },
      (_req, res) => {
        received++;
        res.end('ok');
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const post = async (
    url: string,
    resolve: ResolveAll,
    options: { allowPrivate: boolean; extraCa?: string | null },
  ) => {
    const agent = createDeliveryAgent({
      allowPrivate: options.allowPrivate,
      extraCa: options.extraCa === undefined ? ca : options.extraCa,
      connectTimeoutMs: 2000,
      resolve,
    });
    try {
      const response = await request(url, { method: 'POST', body: '{}', dispatcher: agent });
      await response.body.text();
      return { status: response.statusCode, error: null };
    } catch (error) {
      return { status: null, error: describeFailure(error) };
    } finally {
      await agent.close();
    }
  };

  it('delivers to a private receiver only with the development flag, trusting the extra CA', async () => {
    const before = received;
    const toLoopback: ResolveAll = async () => ['127.0.0.1'];
    assert.deepEqual(await post(`https://localhost:${port}/hook`, toLoopback, { allowPrivate: true }), {
      status: 200,
      error: null,
    });
    const refused = await post(`https://localhost:${port}/hook`, toLoopback, { allowPrivate: false });
    assert.equal(refused.status, null);
    assert.match(
      refused.error as string,
      /^blocked_address: .*loopback address; .*GATEHOUSE_WEBHOOK_ALLOW_PRIVATE=1/,
    );
    assert.equal(received, before + 1);
  });

  it('checks the address it connects to: a host that re-resolves to a private address is refused (DNS rebinding)', async () => {
    const answers = [['93.184.216.34'], ['127.0.0.1']];
    const rebinding: ResolveAll = async () => answers.shift() ?? ['127.0.0.1'];
    // The registration check saw the public answer; the connection gets the rebound one.
    assert.deepEqual(await rebinding('attacker.example'), ['93.184.216.34']);
    const before = received;
    const result = await post(`https://attacker.example:${port}/`, rebinding, { allowPrivate: false });
    assert.match(result.error as string, /^blocked_address/);
    assert.equal(received, before);
  });

  it('refuses an IP literal of a private network before connecting', async () => {
    const never: ResolveAll = async () => {
      throw new Error('an IP literal must not be resolved');
    };
    for (const url of [`https://127.0.0.1:${port}/`, `https://[::1]:${port}/`]) {
      assert.match((await post(url, never, { allowPrivate: false })).error as string, /^blocked_address/);
    }
  });

  it('validates certificates: a receiver whose CA is not trusted is refused', async () => {
    const toLoopback: ResolveAll = async () => ['127.0.0.1'];
    const result = await post(`https://localhost:${port}/`, toLoopback, {
      allowPrivate: true,
      extraCa: null,
    });
    assert.match(result.error as string, /^tls_error: \w+; .*set GATEHOUSE_WEBHOOK_CA_FILE/);
  });
});
