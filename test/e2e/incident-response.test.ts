import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { recordSecret } from '../support/artifacts.ts';
import { runGatehouse } from '../support/cli.ts';
import { newIntegrator, newKey } from '../support/fixtures.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { verifyStandardWebhook } from '../support/webhook-verifier.ts';

/** The server has no upstream: a credential that authenticates gets this. */
const AUTHENTICATED = 'upstream_not_configured';
type Environment = 'production' | 'sandbox';

interface Tenant {
  integratorId: string;
  keys: Record<Environment, { id: string; key: string }>;
  clients: Record<Environment, { id: string; secret: string }>;
  endpoints: Record<Environment, { id: string; secret: string; path: string; hint: string }>;
}

describe('incident response against the running server (L6, L7)', () => {
  let server: TestServer;
  let receiver: WebhookReceiver;
  let cliEnv: Record<string, string>;
  const tenants: Tenant[] = [];
  const gatehouse = (...args: string[]) => runGatehouse(['incident', ...args], cliEnv);

  const gatewayCode = async (key: string) =>
    (await server.data('/v1/orders', { headers: { 'x-api-key': key } })).json?.code as string | undefined;
  const tokenRequest = (clientId: string, secret: string) =>
    server.data('/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: secret,
      }).toString(),
    });
  const tokenStatus = async (clientId: string, secret: string) =>
    (await tokenRequest(clientId, secret)).status;
  const bearerCode = async (token: string) =>
    (await server.data('/v1/orders', { headers: { authorization: `Bearer ${token}` } })).json?.code as
      | string
      | undefined;

  /**
   * The integrator's endpoint of that environment received one event of that type naming its key,
   * client and endpoint, signed with the endpoint's new secret only and holding no secret.
   */
  async function assertTold(
    t: Tenant,
    environment: 'production' | 'sandbox',
    type: string,
    newEndpointSecret: string,
  ): Promise<void> {
    const path = t.endpoints[environment].path;
    await receiver.waitFor(() => receiver.receivedAt(path).length >= 1, 15_000, `${type} at ${path}`);
    const delivery = receiver.receivedAt(path)[0];
    assert.ok(delivery);
    const event = JSON.parse(delivery.body.toString('utf8'));
    assert.equal(event.type, type);
    assert.deepEqual(
      event.data.credentials.map((c: { id: string }) => c.id).sort(),
      [t.keys[environment].id, t.clients[environment].id, t.endpoints[environment].id].sort(),
    );
    assert.equal(
      verifyStandardWebhook(newEndpointSecret, delivery.headers, delivery.body),
      true,
      'signed with the new secret',
    );
    assert.equal(
      verifyStandardWebhook(t.endpoints[environment].secret, delivery.headers, delivery.body),
      false,
    );
    assert.ok(!delivery.body.toString('utf8').includes(newEndpointSecret), 'the event holds no secret');
  }

  async function tenant(name: string): Promise<Tenant> {
    const integratorId = await newIntegrator(server, { name });
    const t = { integratorId, keys: {}, clients: {}, endpoints: {} } as Tenant;
    for (const environment of ['production', 'sandbox'] as const) {
      const key = await newKey(server, {
        integrator_id: integratorId,
        environment,
        name: `${name} ${environment}`,
      });
      t.keys[environment] = { id: key.id, key: key.key };
      const client = await server.admin('POST', '/admin/v1/clients', {
        body: { integrator_id: integratorId, name: `${name} job`, environment },
      });
      assert.equal(client.status, 201, client.text);
      t.clients[environment] = { id: client.json.client_id, secret: recordSecret(client.json.client_secret) };
      const path = `/${name}-${environment}`;
      const endpoint = await server.admin('POST', '/admin/v1/webhook-endpoints', {
        body: {
          integrator_id: integratorId,
          environment,
          url: `${receiver.url}${path}`,
          event_types: ['credential.rotated', 'credential.revoked'],
        },
      });
      assert.equal(endpoint.status, 201, endpoint.text);
      t.endpoints[environment] = {
        id: endpoint.json.id,
        secret: recordSecret(endpoint.json.secret),
        path,
        hint: endpoint.json.secrets[0].hint,
      };
    }
    return t;
  }

  before(async () => {
    receiver = await startWebhookReceiver();
    server = await startTestServer({
      name: 'incident-response',
      env: {
        GATEHOUSE_WEBHOOK_ALLOW_PRIVATE: '1',
        GATEHOUSE_WEBHOOK_CA_FILE: receiver.caFile,
        GATEHOUSE_WEBHOOK_RETRY_SCHEDULE: '0',
      },
    });
    cliEnv = {
      PATH: process.env.PATH ?? '',
      GATEHOUSE_ADMIN_URL: server.adminUrl,
      GATEHOUSE_ADMIN_TOKEN: server.ownerToken,
      GATEHOUSE_CA_FILE: join(server.dataDir, 'tls', 'ca.pem'),
    };
    tenants.push(await tenant('acme'), await tenant('globex'));
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  it('rotate-all --overlap 0 for production: every old secret fails at once, every new one works, sandbox untouched, integrators told, the report lists it', async () => {
    const tokensBefore = new Map<Tenant, { production: string; sandbox: string }>();
    for (const t of tenants) {
      assert.equal(await gatewayCode(t.keys.production.key), AUTHENTICATED);
      const issued = { production: '', sandbox: '' };
      for (const environment of ['production', 'sandbox'] as const) {
        const response = await tokenRequest(t.clients[environment].id, t.clients[environment].secret);
        assert.equal(response.status, 200, response.text);
        issued[environment] = recordSecret(response.json.access_token as string);
        assert.equal(await bearerCode(issued[environment]), AUTHENTICATED);
      }
      tokensBefore.set(t, issued);
    }
    const opened = await gatehouse(
      'open',
      '--title',
      'Production keys in a public paste',
      '--severity',
      'critical',
      '--json',
    );
    assert.equal(opened.code, 0, opened.stderr);
    const incidentId = JSON.parse(opened.stdout).id as string;

    const dry = await gatehouse(
      'rotate-all',
      '--incident',
      incidentId,
      '--environment',
      'production',
      '--overlap',
      '0',
      '--dry-run',
      '--json',
    );
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(
      JSON.parse(dry.stdout).counts.selected,
      6,
      'two tenants × key, client, endpoint of production only',
    );
    assert.equal(
      await gatewayCode(tenants[0]?.keys.production.key as string),
      AUTHENTICATED,
      'a dry run changes nothing',
    );

    const refused = await gatehouse(
      'rotate-all',
      '--incident',
      incidentId,
      '--environment',
      'production',
      '--overlap',
      '0',
    );
    assert.equal(refused.code, 2, 'no terminal and no --yes: nothing is done');
    assert.match(refused.stderr, /without confirmation/);

    const out = join(mkdtempSync(join(tmpdir(), 'gatehouse-incident-')), 'new-secrets.json');
    const rotated = await gatehouse(
      'rotate-all',
      '--incident',
      incidentId,
      '--environment',
      'production',
      '--overlap',
      '0',
      '--yes',
      '--out',
      out,
      '--json',
    );
    assert.equal(rotated.code, 0, rotated.stderr);
    const shown = JSON.parse(rotated.stdout);
    assert.equal(shown.counts.changed, 6);
    assert.ok(
      shown.credentials.every((c: { secret: string | null }) => c.secret === null),
      'stdout holds no secret',
    );
    assert.equal(statSync(out).mode & 0o777, 0o600);
    const file = JSON.parse(readFileSync(out, 'utf8')) as { credentials: { id: string; secret: string }[] };
    const secretOf = new Map(file.credentials.map((c) => [c.id, recordSecret(c.secret)]));
    assert.equal(secretOf.size, 6);

    for (const t of tenants) {
      assert.notEqual(
        await gatewayCode(t.keys.production.key),
        AUTHENTICATED,
        'the old production key fails at once',
      );
      assert.equal(await gatewayCode(secretOf.get(t.keys.production.id) as string), AUTHENTICATED);
      assert.equal(await tokenStatus(t.clients.production.id, t.clients.production.secret), 401);
      assert.equal(
        await bearerCode(tokensBefore.get(t)?.production ?? ''),
        'token_revoked',
        'an access token obtained with the old client secret fails at once',
      );
      assert.equal(
        await bearerCode(tokensBefore.get(t)?.sandbox ?? ''),
        AUTHENTICATED,
        'sandbox tokens untouched',
      );
      assert.equal(
        await tokenStatus(t.clients.production.id, secretOf.get(t.clients.production.id) as string),
        200,
      );
      assert.equal(await gatewayCode(t.keys.sandbox.key), AUTHENTICATED, 'sandbox keys untouched');
      assert.equal(
        await tokenStatus(t.clients.sandbox.id, t.clients.sandbox.secret),
        200,
        'sandbox clients untouched',
      );
      const sandboxEndpoint = await server.admin(
        'GET',
        `/admin/v1/webhook-endpoints/${t.endpoints.sandbox.id}`,
      );
      assert.deepEqual(
        sandboxEndpoint.json.secrets.map((s: { hint: string }) => s.hint),
        [t.endpoints.sandbox.hint],
      );
      const production = await server.admin(
        'GET',
        `/admin/v1/webhook-endpoints/${t.endpoints.production.id}`,
      );
      assert.equal(production.json.secrets.length, 1, 'the old endpoint secret no longer signs');
    }

    for (const t of tenants)
      await assertTold(
        t,
        'production',
        'credential.rotated',
        secretOf.get(t.endpoints.production.id) as string,
      );

    const report = await gatehouse('report', incidentId);
    assert.equal(report.code, 0, report.stderr);
    assert.match(report.stdout, /^# Incident report: Production keys in a public paste/);
    assert.match(report.stdout, /## Actions taken\n\n\| Time \(UTC\) \| By \|/);
    assert.match(report.stdout, /rotate-all \(.+, done\)/);
    for (const t of tenants) assert.ok(report.stdout.includes(t.keys.production.id));
    assert.ok(
      !report.stdout.includes(tenants[0]?.keys.sandbox.id as string),
      'untouched credentials are not listed as affected',
    );
    for (const secret of secretOf.values())
      assert.ok(!report.stdout.includes(secret), 'no secret in the report');

    const audit = await server.admin('GET', '/admin/v1/audit?limit=200');
    for (const secret of secretOf.values())
      assert.ok(!audit.text.includes(secret), 'no secret in the audit log');
    const actions = audit.json.data.map((e: { action: string }) => e.action);
    assert.ok(actions.includes('bulk_action.rotate.start') && actions.includes('bulk_action.rotate.finish'));
  });

  it('revoke-all for one integrator’s sandbox: its key, client and issued token fail at once, its endpoint gets a new secret, it is told', async () => {
    const t = await tenant('hooli');
    const bystander = tenants[0] as Tenant;
    const issued = await tokenRequest(t.clients.sandbox.id, t.clients.sandbox.secret);
    assert.equal(issued.status, 200, issued.text);
    const token = recordSecret(issued.json.access_token as string);
    assert.equal(await bearerCode(token), AUTHENTICATED);
    const out = join(mkdtempSync(join(tmpdir(), 'gatehouse-incident-')), 'replaced-secrets.json');
    const revoked = await gatehouse(
      'revoke-all',
      '--integrator',
      t.integratorId,
      '--environment',
      'sandbox',
      '--reason',
      'sandbox keys in a public paste',
      '--yes',
      '--out',
      out,
      '--json',
    );
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(JSON.parse(revoked.stdout).counts.changed, 3, 'key, client and endpoint of that sandbox');
    const file = JSON.parse(readFileSync(out, 'utf8')) as { credentials: { id: string; secret: string }[] };
    assert.deepEqual(
      file.credentials.map((c) => c.id),
      [t.endpoints.sandbox.id],
      'only the endpoint gets a secret back',
    );
    const endpointSecret = recordSecret(file.credentials[0]?.secret as string);

    assert.equal(await gatewayCode(t.keys.sandbox.key), 'key_revoked');
    assert.equal(await tokenStatus(t.clients.sandbox.id, t.clients.sandbox.secret), 401);
    assert.equal(await bearerCode(token), 'token_revoked');
    assert.equal(await gatewayCode(t.keys.production.key), AUTHENTICATED, 'its production key untouched');
    assert.equal(
      await gatewayCode(bystander.keys.sandbox.key),
      AUTHENTICATED,
      'another integrator untouched',
    );

    await assertTold(t, 'sandbox', 'credential.revoked', endpointSecret);
  });

  it('the same Idempotency-Key twice rotates once; the repeat shows no secret', async () => {
    const t = await tenant('initech');
    const body = {
      integrator_id: t.integratorId,
      environment: 'sandbox',
      kinds: ['api_key'],
      overlap_seconds: 0,
    };
    const headers = { 'idempotency-key': 'incident-e2e-1', 'content-type': 'application/json' };
    const first = await server.admin('POST', '/admin/v1/credentials/rotate-all', { body, headers });
    assert.equal(first.status, 200, first.text);
    const secret = recordSecret(first.json.credentials[0].secret);
    const again = await server.admin('POST', '/admin/v1/credentials/rotate-all', { body, headers });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(again.json.id, first.json.id);
    assert.equal(again.json.credentials[0].secret, null);
    assert.equal(
      await gatewayCode(secret),
      AUTHENTICATED,
      'the first run’s secret still works: no second rotation',
    );
    const other = await server.admin('POST', '/admin/v1/credentials/rotate-all', {
      body: { ...body, overlap_seconds: 5 },
      headers,
    });
    assert.equal(other.status, 422);
    assert.equal(other.json.code, 'idempotency_key_reused');
  });
});
