import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { connect } from 'node:tls';
import { generateCredential } from '../../src/crypto/key-format.ts';
import { recordSecret } from '../support/artifacts.ts';
import type { HttpResponse } from '../support/https-client.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

/** What the admin port answers to bytes sent as they are, over TLS: the status line and the body. */
async function rawRequest(server: TestServer, request: string): Promise<{ head: string; body: string }> {
  const url = new URL(server.adminUrl);
  const socket = connect({
    host: url.hostname,
    port: Number(url.port),
    ca: server.ca,
    servername: 'localhost',
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  socket.write(request);
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const split = text.indexOf('\r\n\r\n');
  return { head: text.slice(0, split), body: text.slice(split + 4) };
}

/**
 * Requests Fastify's router or Node's HTTP parser refuse answer like every other admin error
 * (C5): problem+json with a stable code and a request id, never the URL echoed, and a log line
 * under the same request id.
 */
describe('admin API: framework and parser refusals', () => {
  let server: TestServer;
  const secret = recordSecret(generateCredential('gate', 'admin'));
  const requestIds: string[] = [];

  before(async () => {
    server = await startTestServer({ name: 'admin-framework-errors' });
  });
  after(() => server.close());

  const assertProblem = (response: HttpResponse, status: number, code: string) => {
    assert.equal(response.status, status, response.text);
    assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
    assert.equal(response.json.code, code);
    assert.equal(response.json.status, status);
    assert.match(response.json.request_id, /^[0-9a-f-]{36}$/);
    assert.equal(response.headers['x-request-id'], response.json.request_id);
    assert.ok(!response.text.includes(secret), 'the URL is not echoed');
    assert.ok(!response.text.includes('FST_'), 'no framework code leaks');
    requestIds.push(response.json.request_id);
  };

  it('a path that is not valid percent-encoding is a 400 problem, its query not echoed', async () => {
    assertProblem(await server.admin('GET', `/admin/v1/keys/%E0%A4%A?token=${secret}`), 400, 'bad_request');
  });

  it('a path parameter longer than any identifier is a 414 problem', async () => {
    assertProblem(
      await server.admin('GET', `/admin/v1/keys/${'a'.repeat(300)}?q=${secret}`),
      414,
      'path_too_long',
    );
  });

  it('a lowercase method, refused by the HTTP parser, is a 400 problem with a request id', async () => {
    const { head, body } = await rawRequest(
      server,
      `get /admin/v1/keys?token=${secret} HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer ${secret}\r\n\r\n`,
    );
    assert.match(head, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(head, /\r\ncontent-type: application\/problem\+json\r\n/i);
    assert.ok(!head.includes(secret) && !body.includes(secret));
    const problem = JSON.parse(body);
    assert.equal(problem.code, 'bad_request');
    assert.match(problem.detail, /case-sensitive/);
    assert.match(head, new RegExp(`\\r\\nx-request-id: ${problem.request_id}\\r\\n`, 'i'));
    requestIds.push(problem.request_id);
  });

  it('each refusal has a log line under its request id, without the secret', async () => {
    await server.close();
    const log = readFileSync(server.logPath, 'utf8');
    assert.ok(!log.includes(secret));
    for (const id of requestIds) assert.match(log, new RegExp(`"request_id":"${id}"`), id);
    assert.equal(requestIds.length, 3);
  });
});
