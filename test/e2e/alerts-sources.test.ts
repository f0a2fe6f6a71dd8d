import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type AlertSinkFixture, alertOf as of, startAlertSinkFixture } from '../support/alert-sinks.ts';
import { recordSecret } from '../support/artifacts.ts';
import { eventually } from '../support/eventually.ts';
import { newIntegrator, newKey } from '../support/fixtures.ts';

const DAY = 86_400_000;
const FORM = 'application/x-www-form-urlencoded';

describe('every detector raises exactly one alert at the sinks', () => {
  let fixture: AlertSinkFixture;
  const count = (rule: string, subject: string) => fixture.webhookAlerts().filter(of(rule, subject)).length;
  /** The stored alert of (rule, subject) once its count reached `atLeast`. */
  const counted = (rule: string, subject: string, atLeast: number) =>
    eventually(
      async () => {
        const page = await fixture.server.admin('GET', `/admin/v1/alerts?rule=${rule}`);
        const alert = page.json.data.find((a: { subject: string }) => a.subject === subject);
        return alert?.count >= atLeast ? alert : undefined;
      },
      { what: `${rule} for ${subject} counted ${atLeast} times` },
    );
  /** A later alert at the sink proves every earlier queued delivery was sent (one outbox, in order). */
  const marker = async (subject: string) => {
    const raised = fixture.server.gatehouse.services.alerts;
    await raised.raise({ rule: 'credential_leaked', subject });
    await eventually(() => fixture.webhookAlerts().some(of('credential_leaked', subject)), {
      what: 'the marker',
    });
  };

  before(async () => {
    fixture = await startAlertSinkFixture('alert-sources', { GATEHOUSE_OAUTH_TOKEN_RATE: '1000' });
  });
  after(() => fixture?.close());

  it('OAuth client authentication failures raise one auth_failures alert for the client', async () => {
    const { server } = fixture;
    const integrator = await newIntegrator(server);
    const client = await server.admin('POST', '/admin/v1/clients', {
      body: { integrator_id: integrator, name: 'c', environment: 'production' },
    });
    assert.equal(client.status, 201, client.text);
    recordSecret(client.json.client_secret);
    for (let i = 0; i < 12; i++) {
      const response = await server.data('/oauth/token', {
        method: 'POST',
        headers: { 'content-type': FORM },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: client.json.client_id,
          client_secret: 'wrong-guess',
        }).toString(),
      });
      assert.equal(response.status, 401, response.text);
    }
    const subject = `client:${client.json.id}`;
    await counted('auth_failures', subject, 2);
    await marker('oauth-done');
    assert.equal(count('auth_failures', subject), 1);
  });

  it('bursts of signature failures reported by a receiver raise one webhook_signature_failures alert', async () => {
    const { server } = fixture;
    const integrator = await newIntegrator(server);
    const key = await newKey(server, { integrator_id: integrator });
    const report = (body: unknown) =>
      server.data('/gatehouse/v1/webhooks/signature-failures', {
        method: 'POST',
        headers: { 'x-api-key': key.key, 'content-type': 'application/json' },
        body,
      });
    const anonymous = await server.data('/gatehouse/v1/webhooks/signature-failures', {
      method: 'POST',
      body: { webhook_id: 'msg_1', reason: 'no_matching_signature' },
    });
    assert.equal(anonymous.status, 401);
    const bad = await report({ webhook_id: 42 });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.code, 'validation_failed');
    for (let i = 0; i < 12; i++) {
      const response = await report({ webhook_id: 'ep_orders', reason: 'no_matching_signature' });
      assert.equal(response.status, 202, response.text);
    }
    const subject = `integrator:${integrator}/webhook:ep_orders`;
    await counted('webhook_signature_failures', subject, 2);
    await marker('signature-done');
    assert.equal(count('webhook_signature_failures', subject), 1);
    const events = await server.admin('GET', '/admin/v1/security-events?event=webhook_signature_failure');
    assert.ok(events.json.data.length >= 1);
    assert.ok(events.json.data.length < 12, 'reports are aggregated, not one row each');
  });

  it('creating and revoking admin tokens raises one admin_permission_change alert per token', async () => {
    const { server } = fixture;
    const created = await server.admin('POST', '/admin/v1/admin-tokens', {
      body: { name: 'ci', role: 'auditor' },
    });
    assert.equal(created.status, 201, created.text);
    recordSecret(created.json.token);
    const subject = `admin:${created.json.id}`;
    await eventually(() => count('admin_permission_change', subject) === 1, {
      what: 'the admin change alert',
    });
    const revoked = await server.admin('POST', `/admin/v1/admin-tokens/${created.json.id}/revoke`, {
      body: {},
    });
    assert.equal(revoked.status, 200, revoked.text);
    await counted('admin_permission_change', subject, 2);
    await marker('admin-done');
    assert.equal(count('admin_permission_change', subject), 1);
    assert.ok(fixture.slackTexts().some((text) => text.includes('rule admin_permission_change')));
  });

  it('the periodic scan reports a credential past its rotation age, and an unused one, once each', async () => {
    const { server } = fixture;
    const integrator = await newIntegrator(server);
    const key = await newKey(server, { integrator_id: integrator });
    const { scan } = server.gatehouse.services.alertSinks;
    // The scan is run as if 91 days had passed: the key is then rotation-due and unused.
    await scan.scanCredentials(Date.now() + 91 * DAY);
    await scan.scanCredentials(Date.now() + 92 * DAY);
    const subject = `credential:${key.id}`;
    await eventually(
      () => count('rotation_due', subject) === 1 && count('unused_credential', subject) === 1,
      {
        what: 'rotation_due and unused_credential alerts',
      },
    );
    await marker('scan-done');
    assert.equal(count('rotation_due', subject), 1);
    assert.equal(count('unused_credential', subject), 1);
    await eventually(() => fixture.smtp.received.some((mail) => mail.raw.includes('rotation_due')), {
      what: 'the rotation_due email',
    });
  });

  it('a failing sink is retried, and its failure is visible on the sink until it succeeds', async () => {
    const { server, receiver } = fixture;
    const previous = receiver.reply;
    receiver.reply = (request, earlier) =>
      request.path === '/flaky' ? { status: earlier.length === 0 ? 500 : 204 } : previous(request, earlier);
    const created = await server.admin('POST', '/admin/v1/alert-sinks', {
      body: { name: 'flaky', type: 'slack', url: `${receiver.url}/flaky` },
    });
    assert.equal(created.status, 201, created.text);
    await server.gatehouse.services.alerts.raise({ rule: 'credential_leaked', subject: 'flaky-sink' });
    const failed = await eventually(
      async () => {
        const sink = (await server.admin('GET', `/admin/v1/alert-sinks/${created.json.id}`)).json;
        return sink.last_error !== null ? sink : undefined;
      },
      { what: 'the failure recorded on the sink' },
    );
    assert.match(failed.last_error, /HTTP 500/);
    assert.ok(failed.last_failure_at);
    const recovered = await eventually(
      async () => {
        const sink = (await server.admin('GET', `/admin/v1/alert-sinks/${created.json.id}`)).json;
        return sink.last_success_at !== null ? sink : undefined;
      },
      { timeoutMs: 20_000, what: 'the retry succeeding' },
    );
    assert.ok(Date.parse(recovered.last_success_at) >= Date.parse(recovered.last_failure_at));
    assert.equal(receiver.receivedAt('/flaky').length, 2);
    assert.match(
      JSON.parse(receiver.receivedAt('/flaky')[1]?.body.toString() ?? '{}').text,
      /rule credential_leaked/,
    );
  });
});
