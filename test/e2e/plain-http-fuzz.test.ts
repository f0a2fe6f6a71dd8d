import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { recordSecret } from '../support/artifacts.ts';
import { eventually } from '../support/eventually.ts';
import { newKey as issueKey, newIntegrator } from '../support/fixtures.ts';
import { sendRaw } from '../support/raw-http.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

/**
 * Plain HTTP sent to either TLS port, fuzzed (T1, issue 13 item 4): whatever the method, version,
 * line endings and Host, whole or cut short, and wherever in the request a key is hidden (a header,
 * Basic, a cookie, the user agent, the path, the query, percent-encoded), the answer is a 403 that
 * echoes nothing, the key is recorded as exposed, and no log line holds it.
 */
describe('plain HTTP to the TLS ports, fuzzed', () => {
  let server: TestServer;
  let integratorId: string;
  const keys: string[] = [];

  before(async () => {
    server = await startTestServer({ name: 'plain-http-fuzz' });
    integratorId = await newIntegrator(server, { name: 'Fuzz Corp' });
  });
  after(async () => {
    await server.close();
    const log = readFileSync(server.logPath, 'utf8');
    for (const key of keys) assert.ok(!log.includes(key), `the log holds a key sent over plain HTTP`);
  });

  const newKey = async (): Promise<{ id: string; key: string }> => {
    const issued = await issueKey(server, { integrator_id: integratorId, name: 'exposed' });
    keys.push(issued.key);
    return issued;
  };

  const exposed = async (credentialId: string): Promise<boolean> =>
    eventually(
      async () =>
        (
          await server.admin(
            'GET',
            `/admin/v1/security-events?event=credential_over_plain_http&credential_id=${credentialId}`,
          )
        ).json.data.length > 0,
      { timeoutMs: 5000, what: `the exposure event of ${credentialId}` },
    );

  /** Where a request carries the key: a header line and the target, for a key and its id. */
  const placement = fc.constantFrom<(key: string, id: string) => [header: string, target: string]>(
    (key: string) => [`X-API-Key: ${key}`, '/v1/orders'],
    (key: string) => [`x-api-key:${key}`, '/v1/orders'],
    (key: string) => [`Authorization: Bearer ${key}`, '/v1/orders'],
    (key: string) => [`authorization: bearer\t${key}`, '/v1/orders'],
    (key: string, id: string) => [
      `Authorization: Basic ${Buffer.from(`${id}:${key}`).toString('base64')}`,
      '/',
    ],
    (key: string) => [`Cookie: session=${key}; theme=dark`, '/v1/orders'],
    (key: string) => [`User-Agent: curl/8.0 (${key})`, '/v1/orders'],
    (key: string) => [`X-Custom: ${key}`, '/v1/orders'],
    (key: string) => ['Accept: */*', `/v1/orders/${key}`],
    (key: string) => ['Accept: */*', `/v1/orders?api_key=${key}`],
    (key: string) => ['Accept: */*', `/v1/orders?a=1&token=${key.replaceAll('_', '%5F')}`],
  );

  it('is refused in plain HTTP, echoes nothing, and exposes the key wherever it hides', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('data', 'admin'),
        fc.constantFrom('GET', 'POST', 'DELETE', 'OPTIONS', 'get', 'BREW'),
        fc.constantFrom('HTTP/1.1', 'HTTP/1.0'),
        fc.constantFrom('\r\n', '\n'),
        fc.boolean(),
        placement,
        fc.boolean(),
        async (port, method, version, eol, withHost, place, cutShort) => {
          const { id, key } = await newKey();
          recordSecret(key);
          const [header, target] = place(key, id);
          const lines = [
            `${method} ${target} ${version}`,
            ...(withHost ? ['Host: api.example.test'] : []),
            header,
          ];
          // Cut short: no blank line, then the client half-closes (the silent variant waits a deadline).
          const reply = await sendRaw(
            port === 'data' ? server.dataUrl : server.adminUrl,
            `${lines.join(eol)}${eol}${cutShort ? '' : eol}`,
            { halfClose: cutShort },
          );
          assert.equal(reply.status, 403, `${reply.status} for ${method} ${version} on ${port}`);
          assert.equal(reply.json?.code, 'https_required');
          assert.match(reply.head, /\r\ncontent-type: application\/problem\+json\r\n/i);
          assert.ok(!reply.text.includes(key), 'the reply echoes the key');
          assert.ok(
            await exposed(id),
            `the key ${header.split(':')[0]} / ${target.split('?')[0]} was not recorded`,
          );
        },
      ),
      { numRuns: 40 },
    );
  });
});
