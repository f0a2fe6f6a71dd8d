import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Agent, fetch as undiciFetch } from 'undici';
import { recordSecret } from '../support/artifacts.ts';
import { readUntil } from '../support/eventually.ts';
import type { HttpResponse } from '../support/https-client.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = 'application/x-www-form-urlencoded';

describe('OAuth token endpoint brute-force protection', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ name: 'oauth-limits', env: { GATEHOUSE_OAUTH_TOKEN_RATE: '1' } });
  });
  after(() => server.close());

  it('limits attempts per client_id from one address and answers 429 slow_down with Retry-After', async () => {
    const integrator = await server.admin('POST', '/admin/v1/integrators', { body: { name: 'Limited' } });
    const client = await server.admin('POST', '/admin/v1/clients', {
      body: { integrator_id: integrator.json.id, name: 'c', environment: 'production' },
    });
    const statuses: number[] = [];
    let limited: HttpResponse | undefined;
    for (let i = 0; i < 8; i++) {
      const response = await server.data('/oauth/token', {
        method: 'POST',
        body: form({
          grant_type: 'client_credentials',
          client_id: client.json.client_id,
          client_secret: 'guess',
        }),
        headers: { 'content-type': FORM },
      });
      statuses.push(response.status);
      if (response.status === 429) limited ??= response;
    }
    assert.deepEqual(statuses.slice(0, 4), [401, 401, 401, 401]);
    assert.ok(limited, `expected a 429 in ${statuses}`);
    assert.equal(limited.json.error, 'slow_down');
    assert.ok(Number(limited.headers['retry-after']) >= 1);
  });

  it("wrong secrets from another address do not use up the victim's budget, and are aggregated", async () => {
    const integrator = await server.admin('POST', '/admin/v1/integrators', { body: { name: 'Victim' } });
    const created = await server.admin('POST', '/admin/v1/clients', {
      body: { integrator_id: integrator.json.id, name: 'victim', environment: 'production' },
    });
    recordSecret(created.json.client_secret);
    const attacker = new Agent({ connect: { ca: server.ca }, localAddress: '127.0.0.2' });
    const attempt = async (secret: string, dispatcher?: Agent) => {
      const response = await undiciFetch(`${server.dataUrl}/oauth/token`, {
        method: 'POST',
        body: form({
          grant_type: 'client_credentials',
          client_id: created.json.client_id,
          client_secret: secret,
        }),
        headers: { 'content-type': FORM },
        ...(dispatcher ? { dispatcher } : {}),
      });
      await response.arrayBuffer();
      return response.status;
    };
    const attackerStatuses: number[] = [];
    for (let i = 0; i < 12; i++) attackerStatuses.push(await attempt(`wrong-${i}`, attacker));
    await attacker.close();
    assert.ok(attackerStatuses.includes(429), `the attacker is throttled: ${attackerStatuses}`);
    const failures = attackerStatuses.filter((status) => status === 401).length;

    // The victim's own address, untouched by the test above (which spends 127.0.0.1's budget).
    const victim = new Agent({ connect: { ca: server.ca }, localAddress: '127.0.0.3' });
    assert.equal(await attempt(created.json.client_secret, victim), 200);
    await victim.close();

    type Row = { ip: string; details: { count: number } };
    const events = await readUntil(
      async (): Promise<Row[]> =>
        (
          await server.admin(
            'GET',
            `/admin/v1/security-events?event=oauth_client_authentication_failed&credential_id=${created.json.id}`,
          )
        ).json.data,
      (rows) => rows.reduce((sum, event) => sum + event.details.count, 0) === failures,
      { timeoutMs: 5000 },
    );
    assert.ok(events.length < failures, `${events.length} rows for ${failures} failed attempts`);
    assert.equal(
      events.reduce((sum, event) => sum + event.details.count, 0),
      failures,
    );
    assert.ok(events.every((event) => event.ip === '127.0.0.2'));
  });
});
