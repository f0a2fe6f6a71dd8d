import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { recordSecret } from '../support/artifacts.ts';
import { newIntegrator, newKey } from '../support/fixtures.ts';
import type { HttpResponse } from '../support/https-client.ts';
import { createTestPostgres, POSTGRES_SKIP_MESSAGE } from '../support/postgres.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

/** The server has no upstream: a credential that authenticates gets this. */
const AUTHENTICATED = 'upstream_not_configured';
const KEYS = 60;

interface Rotated {
  id: string;
  outcome: string;
  secret: string | null;
}

/**
 * Bulk actions run twice at the same time. A run that joins an action another run
 * is still working on must not answer "done, secrets included" with the secrets missing, and the
 * action must finish once (one `.finish` audit entry, one webhook event per integrator).
 */
// On SQLite one connection serialises the two runs (the second waits for the first to finish), so
// the race shows on PostgreSQL, where two runs really work on one action at once.
const DATABASE = process.env.GATEHOUSE_TEST_RACES_DB === 'sqlite' ? 'sqlite' : 'postgres';
const probe = DATABASE === 'postgres' ? await createTestPostgres() : undefined;
await probe?.drop();
const skip = DATABASE === 'postgres' && !probe ? POSTGRES_SKIP_MESSAGE : false;

describe(`concurrent runs of one bulk action (${DATABASE})`, { skip }, () => {
  let server: TestServer;
  const gatewayCode = async (key: string) =>
    (await server.data('/v1/orders', { headers: { 'x-api-key': key } })).json?.code as string | undefined;

  before(async () => {
    server = await startTestServer({ name: 'review-bulk-races', database: DATABASE });
  });
  after(async () => {
    await server.close();
  });

  async function keysOf(name: string): Promise<string> {
    const integratorId = await newIntegrator(server, { name });
    for (let i = 0; i < KEYS; i++)
      await newKey(server, { integrator_id: integratorId, environment: 'sandbox', name: `${name} ${i}` });
    return integratorId;
  }

  async function auditCount(action: string, targetId: string): Promise<number> {
    const page = await server.admin(
      'GET',
      `/admin/v1/audit?action=${encodeURIComponent(action)}&target_id=${targetId}&limit=200`,
    );
    assert.equal(page.status, 200, page.text);
    return page.json.data.length;
  }

  /** Every answer that says it includes secrets has one for each credential it says it rotated. */
  function assertSecretsWhereClaimed(responses: HttpResponse[]): void {
    for (const response of responses) {
      assert.equal(response.status, 200, response.text);
      for (const c of response.json.credentials as Rotated[]) if (c.secret) recordSecret(c.secret);
    }
    for (const response of responses) {
      if (!response.json.secrets_included) continue;
      const missing = (response.json.credentials as Rotated[]).filter(
        (c) => c.outcome === 'rotated' && c.secret === null,
      );
      assert.equal(
        missing.length,
        0,
        `an answer with secrets_included=true and replayed=${response.json.replayed} lacks ${missing.length} of its ${response.json.credentials.length} new secrets`,
      );
    }
  }

  it('two requests with one Idempotency-Key at once: both answers hold the secrets they claim, finished once', async () => {
    const integratorId = await keysOf('race-same-key');
    const body = {
      integrator_id: integratorId,
      environment: 'sandbox',
      kinds: ['api_key'],
      overlap_seconds: 0,
    };
    const headers = { 'idempotency-key': 'review-race-1', 'content-type': 'application/json' };
    const send = () => server.admin('POST', '/admin/v1/credentials/rotate-all', { body, headers });
    const first = send();
    await new Promise((resolve) => setTimeout(resolve, 30));
    const responses = await Promise.all([first, send()]);
    assertSecretsWhereClaimed(responses);
    const actionId = responses[0]?.json.id as string;
    assert.equal(responses[1]?.json.id, actionId, 'both joined one action');
    assert.equal(await auditCount('bulk_action.rotate.finish', actionId), 1, 'the action finished once');
  });

  it('a resume by another admin while the run is still going: finished once, no answer claims secrets it lacks', async () => {
    const integratorId = await keysOf('race-resume');
    const other = await server.admin('POST', '/admin/v1/admin-tokens', {
      body: { name: 'second on-call', role: 'admin' },
    });
    assert.equal(other.status, 201, other.text);
    const opened = await server.admin('POST', '/admin/v1/incidents', {
      body: { title: 'race', severity: 'high' },
    });
    const incidentId = opened.json.id as string;
    const running = server.admin('POST', `/admin/v1/incidents/${incidentId}/actions/rotate-all`, {
      body: { integrator_id: integratorId, environment: 'sandbox', kinds: ['api_key'], overlap_seconds: 0 },
    });
    // The plan is on the incident's timeline as soon as it is committed: the second admin sees it.
    let actionId: string | undefined;
    for (let i = 0; i < 200 && actionId === undefined; i++) {
      const incident = await server.admin('GET', `/admin/v1/incidents/${incidentId}`);
      const entry = (incident.json.entries as { kind: string; ref_id?: string; data?: unknown }[]).find(
        (e) => e.kind === 'action',
      );
      actionId = (entry as { ref_id?: string } | undefined)?.ref_id;
      if (actionId === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.ok(actionId, 'the plan appeared on the incident');
    const resumed = server.admin('POST', `/admin/v1/bulk-actions/${actionId}/resume`, {
      token: other.json.token,
    });
    const responses = await Promise.all([running, resumed]);
    assertSecretsWhereClaimed(responses);
    // Whatever each caller got, every credential was rotated once and every new secret handed out works.
    const handedOut = responses.flatMap((r) => (r.json.credentials as Rotated[]).map((c) => c.secret));
    for (const secret of handedOut.filter((s): s is string => s !== null).slice(0, 3))
      assert.equal(await gatewayCode(secret), AUTHENTICATED);
    assert.equal(await auditCount('bulk_action.rotate.finish', actionId), 1, 'the action finished once');
  });

  it('two rotate-all at once without a key (two on-call admins): no credential is rotated under both', async () => {
    const integratorId = await keysOf('race-two-admins');
    const body = {
      integrator_id: integratorId,
      environment: 'sandbox',
      kinds: ['api_key'],
      overlap_seconds: 0,
    };
    const first = server.admin('POST', '/admin/v1/credentials/rotate-all', { body });
    await new Promise((resolve) => setTimeout(resolve, 30));
    const responses = await Promise.all([
      first,
      server.admin('POST', '/admin/v1/credentials/rotate-all', { body }),
    ]);
    for (const response of responses) {
      if (response.status !== 200) continue;
      for (const c of response.json.credentials as Rotated[]) if (c.secret) recordSecret(c.secret);
    }
    for (const response of responses.filter((r) => r.status !== 200)) {
      assert.equal(response.status, 409, response.text);
      assert.equal(response.json.code, 'bulk_action_conflict');
    }
    // Each answer that hands out a secret as the credential's new one must hand out a working one.
    const dead: string[] = [];
    for (const response of responses.filter((r) => r.status === 200)) {
      for (const c of response.json.credentials as Rotated[]) {
        if (c.secret !== null && (await gatewayCode(c.secret)) !== AUTHENTICATED) dead.push(c.id);
      }
    }
    assert.deepEqual(
      dead,
      [],
      `${dead.length} secrets handed out as new (overlap 0) were already dead: the other run rotated them again; statuses ${responses.map((r) => r.status)}`,
    );
  });
});
