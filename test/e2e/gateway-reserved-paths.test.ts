import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { connect } from 'node:tls';
import { newIntegrator, newKey } from '../support/fixtures.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { type RecordingUpstream, startRecordingUpstream } from '../support/upstream.ts';

/** A catch-all route, as gateway.test.ts has, that lets `;` parameters through. */
const GATEWAY_CONFIG = `
routes:
  - { method: "*", path: "/**", scopes: [], allow_path_parameters: true }
rate_limits:
  per_credential: null
  per_ip: null
`;

/**
 * Paths an upstream reads as /gatehouse/… are Gatehouse's, not the upstream's: `;params`, trailing
 * dots or spaces, `::$DATA` and Unicode case folding (path-readings.ts lists how servers read them)
 * are all 404 not_found, even under a catch-all route.
 */
describe('spellings an upstream reads as /gatehouse/ are never proxied', () => {
  let server: TestServer;
  let upstream: RecordingUpstream;
  let key: string;

  before(async () => {
    upstream = await startRecordingUpstream('production');
    server = await startTestServer({
      name: 'reserved-spellings',
      gatewayFile: GATEWAY_CONFIG,
      env: { GATEHOUSE_UPSTREAM_PRODUCTION: upstream.url, GATEHOUSE_UPSTREAM_SANDBOX: upstream.url },
    });
    const integratorId = await newIntegrator(server, { name: 'Reserved Corp' });
    key = (await newKey(server, { integrator_id: integratorId, name: 'reserved', scopes: [] })).key;
  });
  after(async () => {
    await server?.close();
    await upstream?.close();
  });

  const sendRaw = (head: string): Promise<{ status: number; text: string }> =>
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
      socket.on('close', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text }));
    });

  it('the literal spellings are kept (control)', async () => {
    for (const path of ['/gatehouse/v1/x', '/GATEHOUSE/v1/x', '/%67atehouse/v1/x', '/GateHouse/']) {
      const probe = randomUUID();
      const response = await sendRaw(
        `GET ${path}?p=${probe} HTTP/1.1\r\nHost: localhost\r\nX-API-Key: ${key}`,
      );
      assert.equal(response.status, 404, `${path}: ${response.text}`);
      assert.equal(upstream.received.filter((r) => r.url.includes(probe)).length, 0, path);
    }
  });

  it('no spelling an upstream reads as /gatehouse/... reaches the upstream', async () => {
    const passed: string[] = [];
    for (const spelling of [
      '/gatehouse;x=1/v1/credentials/self/rotate', // Tomcat, Spring: /gatehouse/v1/...
      '/gatehouse%3Bx/v1/credentials/self/rotate',
      '/gatehouse./v1/credentials/self/rotate', // IIS: trailing dots dropped
      '/gatehouse%20/v1/credentials/self/rotate', // IIS: trailing spaces dropped
      '/gatehouse::$DATA/v1/credentials/self/rotate', // NTFS stream of gatehouse
      '/gatehou%C5%BFe/v1/credentials/self/rotate', // ſ folds to s (Unicode case-insensitive routers)
      '/gatehouse', // the prefix itself, which Express (non-strict) reads as /gatehouse/
    ]) {
      const probe = randomUUID();
      const response = await sendRaw(
        `GET ${spelling}?p=${probe} HTTP/1.1\r\nHost: localhost\r\nX-API-Key: ${key}`,
      );
      const seen = upstream.received.filter((r) => r.url.includes(probe));
      if (seen.length > 0) passed.push(`${spelling} -> upstream saw ${seen[0]?.url} (${response.status})`);
    }
    assert.deepEqual(passed, [], 'these spellings of /gatehouse/ reached the upstream');
  });
});
