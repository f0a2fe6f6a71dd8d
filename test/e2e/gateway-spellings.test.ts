import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { connect } from 'node:tls';
import { newKey as issueKey, newIntegrator } from '../support/fixtures.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { type RecordingUpstream, startRecordingUpstream } from '../support/upstream.ts';

const GATEWAY_CONFIG = `
environments:
  production:
    hosts: [api.gatehouse.test]
  sandbox:
    hosts: [sandbox.gatehouse.test]
routes:
  - { method: GET, path: /v1/items/secret, scopes: ["admin:all"] }
  - { method: GET, path: "/v1/items/{id}", scopes: [] }
  - { method: GET, path: /v1/public/**, scopes: [] }
rate_limits:
  per_credential: null
  per_ip: null
`;

interface RawResponse {
  status: number;
  code: string | undefined;
  text: string;
}

/**
 * T5 through the real gateway: requests written byte for byte on a TLS socket (no client library
 * normalises the path or merges headers), and the recording upstream asked what it received.
 */
describe('gateway: no spelling of a path, host or header gets past the rules (T5)', () => {
  let server: TestServer;
  let sandbox: RecordingUpstream;
  let production: RecordingUpstream;
  let plainKey: string;
  let adminKey: string;
  let scopelessKey: string;

  before(async () => {
    sandbox = await startRecordingUpstream('sandbox');
    production = await startRecordingUpstream('production');
    server = await startTestServer({
      name: 'gateway-spellings',
      gatewayFile: GATEWAY_CONFIG,
      env: {
        GATEHOUSE_UPSTREAM_SANDBOX: sandbox.url,
        GATEHOUSE_UPSTREAM_PRODUCTION: production.url,
      },
    });
    const integratorId = await newIntegrator(server, { name: 'Spelling Corp' });
    const newKey = async (scopes: string[]) =>
      (await issueKey(server, { integrator_id: integratorId, name: 'spellings', scopes })).key;
    plainKey = await newKey(['orders:read']);
    adminKey = await newKey(['admin:all']);
    scopelessKey = await newKey([]);
  });
  after(async () => {
    await server?.close();
    await sandbox?.close();
    await production?.close();
  });

  /** One request exactly as written: `head` is the request line and header lines, without the end. */
  const sendRaw = (head: string): Promise<RawResponse> =>
    new Promise((resolve, reject) => {
      const url = new URL(server.dataUrl);
      const socket = connect({
        host: url.hostname,
        port: Number(url.port),
        ca: server.ca,
        servername: 'localhost',
      });
      let text = '';
      socket.setEncoding('utf8');
      socket.on('secureConnect', () => socket.write(`${head}\r\nConnection: close\r\n\r\n`));
      socket.on('data', (chunk: string) => {
        text += chunk;
      });
      socket.on('error', reject);
      socket.on('close', () => {
        resolve({
          status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0),
          code: /"code":"([a-z_]+)"/.exec(text)?.[1],
          text,
        });
      });
    });
  const get = (path: string, key: string, headers = 'Host: localhost') =>
    sendRaw(`GET ${path} HTTP/1.1\r\n${headers}\r\nX-API-Key: ${key}`);
  const marker = () => `probe=${randomUUID()}`;
  const received = (probe: string) =>
    [...sandbox.received, ...production.received].filter((r) => r.url.includes(probe));

  it('never lets a key without admin:all reach the upstream on a spelling of the secret route', async () => {
    const passed: string[] = [];
    for (const spelling of [
      '/v1/items/%73ecret',
      '/v1/items/secret;x=1',
      '/v1/items/secret;',
      '/v1/items/secret%3b',
      '/v1/public/..;/items/secret',
      '/v1/public/..%3B/items/secret',
      '/v1/items/SECRET',
      '/v1/items/Secret',
      // Read as secret by Rails (`.:format`), Spring before 5.3 (`secret.*`) and IIS (trailing
      // dots and spaces dropped, `::$DATA` an NTFS stream of `secret`).
      '/v1/items/secret.json',
      '/v1/items/secret.',
      '/v1/items/secret...',
      '/v1/items/SECRET.',
      '/v1/items/secret%20',
      '/v1/items/secret%20%20',
      '/v1/items/secret::$DATA',
      '/v1/items/secret:',
    ]) {
      const probe = marker();
      const response = await get(`${spelling}?${probe}`, plainKey);
      if (received(probe).length > 0) passed.push(`${spelling} (${response.status})`);
      else
        assert.match(
          response.code ?? '',
          /^(insufficient_scope|path_parameters_not_allowed|ambiguous_path|invalid_path|route_not_found)$/,
          `${spelling}: ${response.text}`,
        );
    }
    assert.deepEqual(passed, [], 'these spellings reached the upstream');
  });

  it('forwards an escaped spelling, decoded, to a caller that holds the scope', async () => {
    const probe = marker();
    const response = await get(`/v1/items/%73ecret?${probe}`, adminKey);
    assert.equal(response.status, 200, response.text);
    assert.equal(received(probe)[0]?.url, `/v1/items/secret?${probe}`);
    const ordinary = marker();
    assert.equal((await get(`/v1/items/Order-42?${ordinary}`, plainKey)).status, 200);
    assert.equal(received(ordinary)[0]?.url, `/v1/items/Order-42?${ordinary}`);
  });

  it('still forwards a file name that reads as the same route, to a key without scopes', async () => {
    for (const path of ['/v1/items/ord_123.pdf', '/v1/public/report.v2.json']) {
      const probe = marker();
      const response = await get(`${path}?${probe}`, scopelessKey);
      assert.equal(response.status, 200, `${path}: ${response.text}`);
      assert.equal(received(probe)[0]?.url, `${path}?${probe}`);
    }
  });

  it('holds a host to its environment however it is spelled, and refuses odd or repeated Host headers', async () => {
    // A sandbox key on the production host is refused; before T5, these spellings went through.
    for (const host of [
      'api.gatehouse.test',
      'API.Gatehouse.Test',
      'api.gatehouse.test.',
      'api.gatehouse.test.:443',
    ]) {
      const response = await get(`/v1/items/1?${marker()}`, plainKey, `Host: ${host}`);
      assert.equal(response.status, 403, `${host}: ${response.text}`);
      assert.equal(response.code, 'wrong_environment');
    }
    for (const headers of [
      'Host: [api.gatehouse.test]',
      'Host: api%2egatehouse.test',
      'Host: api.gatehouse.test,sandbox.gatehouse.test',
      'Host: sandbox.gatehouse.test\r\nHost: api.gatehouse.test',
      'Host: api.gatehouse.test..',
    ]) {
      const probe = marker();
      const response = await get(`/v1/items/1?${probe}`, plainKey, headers);
      assert.equal(response.status, 400, `${headers}: ${response.text}`);
      assert.equal(response.code, 'invalid_host');
      assert.deepEqual(received(probe), []);
    }
    const probe = marker();
    assert.equal((await get(`/v1/items/1?${probe}`, plainKey, 'Host: SANDBOX.gatehouse.test.')).status, 200);
    assert.equal(received(probe)[0]?.headers['x-forwarded-host'], 'sandbox.gatehouse.test');
  });

  it('never forwards underscore aliases of the identity headers, nor method overrides', async () => {
    const probe = marker();
    const response = await get(
      `/v1/items/1?${probe}`,
      plainKey,
      [
        'Host: localhost',
        'Gatehouse_Integrator_Id: victim',
        'X_Forwarded_For: 203.0.113.66',
        'X-HTTP-Method-Override: DELETE',
        'X-HTTP-Method: DELETE',
        'X-Method-Override: DELETE',
        'X_Custom_Tag: kept',
      ].join('\r\n'),
    );
    assert.equal(response.status, 200, response.text);
    const [upstream] = received(probe);
    assert.ok(upstream);
    const names = upstream.rawHeaders.filter((_, i) => i % 2 === 0).map((name) => name.toLowerCase());
    for (const dropped of [
      'gatehouse_integrator_id',
      'x_forwarded_for',
      'x-http-method-override',
      'x-http-method',
      'x-method-override',
    ])
      assert.ok(!names.includes(dropped), `${dropped} reached the upstream`);
    assert.ok(names.includes('x_custom_tag'));
    assert.notEqual(upstream.headers['gatehouse-integrator-id'], 'victim');
  });
});
