import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureDevelopmentCertificate } from '../../src/tls/development-certificate.ts';
import { eventually } from '../support/eventually.ts';
import { newIntegrator, newKey } from '../support/fixtures.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

describe('the leak receiver with the code host’s keys fetched from its URL', () => {
  const codeHost = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keyList = JSON.stringify({
    public_keys: [
      {
        key_identifier: 'fetched-key-1',
        key: codeHost.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        is_current: true,
      },
    ],
  });
  let dir: string;
  let keysHost: Server;
  let available = false;
  let server: TestServer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-keys-url-'));
    const tls = await ensureDevelopmentCertificate(dir);
    keysHost = createServer(
      { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) },
      (_req, res) => {
        if (available) res.writeHead(200, { 'content-type': 'application/json' }).end(keyList);
        else res.writeHead(503).end();
      },
    );
    await new Promise<void>((resolve) => keysHost.listen(0, '127.0.0.1', resolve));
    const port = (keysHost.address() as AddressInfo).port;
    server = await startTestServer({
      name: 'leak-receiver-keys-url',
      env: {
        GATEHOUSE_SECRET_SCANNING_KEYS_URL: `https://127.0.0.1:${port}/meta/public_keys/secret_scanning`,
        GATEHOUSE_WEBHOOK_CA_FILE: tls.caFile,
      },
    });
  });
  after(async () => {
    await server?.close();
    keysHost.closeAllConnections();
    await new Promise((resolve) => keysHost.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 while the keys cannot be fetched and changes nothing, then revokes once they can', async () => {
    const live = await newKey(server, { integrator_id: await newIntegrator(server), name: 'pushed' });
    const body = JSON.stringify([
      { token: live.key, type: 'gatehouse_api_key', url: 'https://github.com/o/r', source: 'content' },
    ]);
    const report = () =>
      server.data('/secret-scanning/github', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'github-public-key-identifier': 'fetched-key-1',
          'github-public-key-signature': sign('sha256', Buffer.from(body), codeHost.privateKey).toString(
            'base64',
          ),
        },
        body,
      });
    const gatewayCode = async () =>
      (await server.data('/v1/orders', { headers: { 'x-api-key': live.key } })).json?.code as string;

    const refused = await report();
    assert.equal(refused.status, 503, refused.text);
    assert.equal(refused.json.code, 'report_keys_unavailable');
    assert.equal(await gatewayCode(), 'upstream_not_configured', 'the key still works');

    available = true;
    const answered = await eventually(
      async () => {
        const response = await report();
        return response.status === 503 ? undefined : response;
      },
      { what: 'the keys to be fetched again (at most every 5 s)' },
    );
    assert.equal(answered.status, 200, answered.text);
    assert.equal(answered.json[0].label, 'true_positive');
    assert.equal(await gatewayCode(), 'key_revoked');
  });
});
