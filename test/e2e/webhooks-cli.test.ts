import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { recordSecret } from '../support/artifacts.ts';
import { runGatehouse } from '../support/cli.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';

describe('the gatehouse webhooks CLI', () => {
  let server: TestServer;
  let cliEnv: Record<string, string>;
  let integratorId: string;

  const gatehouse = (...args: string[]) => runGatehouse(['webhooks', ...args], cliEnv);

  before(async () => {
    server = await startTestServer({
      name: 'webhooks-cli',
      env: { GATEHOUSE_WEBHOOK_ALLOW_PRIVATE: '1', GATEHOUSE_WEBHOOK_RETRY_SCHEDULE: '0' },
    });
    cliEnv = {
      PATH: process.env.PATH ?? '',
      GATEHOUSE_ADMIN_URL: server.adminUrl,
      GATEHOUSE_ADMIN_TOKEN: server.ownerToken,
      GATEHOUSE_CA_FILE: join(server.dataDir, 'tls', 'ca.pem'),
    };
    integratorId = (await server.admin('POST', '/admin/v1/integrators', { body: { name: 'CLI Hooks' } })).json
      .id;
    await server.admin('POST', '/admin/v1/event-types', {
      body: { name: 'build.finished', schema: { type: 'object' } },
    });
  });
  after(() => server.close());

  it('creates an endpoint printing its secret once, then lists and shows it without the secret', async () => {
    const created = await gatehouse(
      'endpoints',
      'create',
      '--integrator',
      integratorId,
      '--url',
      'https://127.0.0.1:9/ci',
      '--event-type',
      'build.finished',
    );
    assert.equal(created.code, 0, created.stderr);
    const secret = /secret\s+(whsec_\S+)/.exec(created.stdout)?.[1];
    assert.ok(secret, created.stdout);
    recordSecret(secret);
    assert.match(created.stdout, /shown only once/);
    const id = /^id\s+(\S+)/m.exec(created.stdout)?.[1] as string;

    const listed = await gatehouse('endpoints', '--integrator', integratorId);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^ID\s+URL\s+ENVIRONMENT\s+ENABLED/);
    assert.match(listed.stdout, new RegExp(`${id}\\s+https://127.0.0.1:9/ci\\s+sandbox\\s+true`));
    const shown = await gatehouse('endpoints', 'show', id, '--json');
    assert.equal(JSON.parse(shown.stdout).id, id);
    for (const output of [listed.stdout, shown.stdout]) assert.ok(!output.includes(secret));

    const rotated = await gatehouse('rotate-secret', id, '--overlap', '60', '--json');
    assert.equal(rotated.code, 0, rotated.stderr);
    const issued = JSON.parse(rotated.stdout);
    recordSecret(issued.secret);
    assert.notEqual(issued.secret, secret);
    assert.equal(issued.secrets.length, 2);
  });

  it('lists deliveries and replays a message, or an endpoint’s failures since a time', async () => {
    const endpoint = await server.admin('POST', '/admin/v1/webhook-endpoints', {
      body: {
        integrator_id: integratorId,
        environment: 'production',
        url: 'https://127.0.0.1:9/refused',
        event_types: ['build.finished'],
      },
    });
    recordSecret(endpoint.json.secret);
    const since = new Date(Date.now() - 1000).toISOString();
    const message = await server.admin('POST', '/admin/v1/events', {
      body: {
        type: 'build.finished',
        integrator_id: integratorId,
        environment: 'production',
        data: { ok: true },
      },
    });
    // Port 9 refuses connections and the schedule has a single attempt: the delivery fails at once.
    let deliveries: { status: string }[] = [];
    for (let i = 0; i < 200 && deliveries[0]?.status !== 'failed'; i++) {
      deliveries = JSON.parse(
        (await gatehouse('deliveries', '--endpoint', endpoint.json.id, '--json')).stdout,
      ).data;
    }
    assert.equal(deliveries[0]?.status, 'failed');
    const table = await gatehouse('deliveries', '--message', message.json.id);
    assert.match(table.stdout, /^ID\s+MESSAGE_ID\s+ENDPOINT_ID\s+STATUS/);
    assert.match(table.stdout, /failed\s+1\s+-\s+connection_refused/);

    const one = await gatehouse('replay', message.json.id);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /^1 delivery queued again$/m);
    const wrong = await gatehouse('replay', '--endpoint', endpoint.json.id);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /--since/);
    const since1 = await gatehouse('replay', '--endpoint', endpoint.json.id, '--since', since, '--json');
    assert.equal(since1.code, 0, since1.stderr);
    assert.equal(typeof JSON.parse(since1.stdout).replayed, 'number');
  });

  it('a TLS failure to a local receiver with its own CA names GATEHOUSE_WEBHOOK_CA_FILE in the attempt', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const endpoint = await server.admin('POST', '/admin/v1/webhook-endpoints', {
        body: {
          integrator_id: integratorId,
          environment: 'sandbox',
          url: `${receiver.url}/untrusted`,
          event_types: ['build.finished'],
        },
      });
      assert.equal(endpoint.status, 201, endpoint.text);
      recordSecret(endpoint.json.secret);
      await server.admin('POST', '/admin/v1/events', {
        body: { type: 'build.finished', integrator_id: integratorId, environment: 'sandbox', data: {} },
      });
      let deliveries: { id: string; status: string }[] = [];
      for (let i = 0; i < 200 && deliveries[0]?.status !== 'failed'; i++) {
        deliveries = JSON.parse(
          (await gatehouse('deliveries', '--endpoint', endpoint.json.id, '--json')).stdout,
        ).data;
      }
      assert.equal(deliveries[0]?.status, 'failed');
      const attempts = await gatehouse('attempts', deliveries[0]?.id as string, '--json');
      const error = JSON.parse(attempts.stdout).data[0].error as string;
      assert.match(error, /^tls_error: \w+; .*set GATEHOUSE_WEBHOOK_CA_FILE to its PEM file/);
      assert.equal(receiver.received.length, 0);
    } finally {
      await receiver.close();
    }
  });
});
