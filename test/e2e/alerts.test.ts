import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type AlertSinkFixture,
  alertOf as of,
  type SinkAlert,
  startAlertSinkFixture,
} from '../support/alert-sinks.ts';
import { recordSecret } from '../support/artifacts.ts';
import { runGatehouse } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { newIntegrator, newKey } from '../support/fixtures.ts';

describe('alerts reach real sinks once per rule and subject', () => {
  let fixture: AlertSinkFixture;
  const webhookAlerts = () => fixture.webhookAlerts();
  const slackTexts = () => fixture.slackTexts();
  const badAdminRequest = (path: string) => fixture.badAdminRequest(path);
  let server: AlertSinkFixture['server'];
  let smtp: AlertSinkFixture['smtp'];
  let receiver: AlertSinkFixture['receiver'];

  before(async () => {
    fixture = await startAlertSinkFixture('alerts', { GATEHOUSE_HTTP_PORT: '0' });
    ({ server, smtp, receiver } = fixture);
  });
  after(() => fixture?.close());

  /** Waits for a marker alert queued after every repeat: a later alert arrives only after earlier ones. */
  async function settle(marker: () => Promise<void>, markerSubject: string): Promise<void> {
    await marker();
    await eventually(() => webhookAlerts().some(of('admin_auth_failures', markerSubject)), {
      what: 'the marker alert at the webhook sink',
    });
  }

  it('failed gateway authentications with a revoked key raise one auth_failures alert per credential and per IP, at every sink', async () => {
    const integrator = await newIntegrator(server);
    const key = await newKey(server, { integrator_id: integrator });
    assert.equal((await server.admin('POST', `/admin/v1/keys/${key.id}/revoke`, { body: {} })).status, 200);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 6; i++) {
        const response = await server.data('/v1/orders', { headers: { 'x-api-key': key.key } });
        assert.equal(response.status, 401, response.text);
      }
      if (round === 0) {
        await eventually(() => webhookAlerts().some(of('auth_failures', `credential:${key.id}`)), {
          what: 'the first auth_failures alert',
        });
      }
    }
    const listed = await eventually(
      async () => {
        const page = await server.admin('GET', '/admin/v1/alerts?rule=auth_failures');
        const alert = page.json.data.find((a: SinkAlert) => a.subject === `credential:${key.id}`);
        return alert?.count >= 2 ? alert : undefined;
      },
      { what: 'repeats counted on the alert' },
    );
    assert.equal(listed.status, 'open');
    assert.ok(listed.event_ids.length >= 1);
    await settle(async () => {
      for (let i = 0; i < 6; i++) await badAdminRequest('/admin/v1/keys');
    }, 'ip:127.0.0.2');
    assert.equal(webhookAlerts().filter(of('auth_failures', `credential:${key.id}`)).length, 1);
    assert.equal(
      webhookAlerts().filter((a) => a.rule === 'auth_failures' && a.subject.startsWith('ip:')).length,
      1,
    );
    const slack = slackTexts().filter((text) => text.includes(`credential:${key.id}`));
    assert.equal(slack.length, 1);
    assert.match(slack[0] as string, /rule auth_failures/);
    await eventually(
      () => smtp.received.filter((mail) => mail.raw.includes(`credential:${key.id}`)).length === 1,
      {
        what: 'one alert email',
      },
    );
    const mail = smtp.received.find((m) => m.raw.includes(`credential:${key.id}`));
    assert.deepEqual(mail?.to, ['security@example.com']);
    assert.match(mail?.raw ?? '', /Subject: Gatehouse alert: auth_failures/);
    assert.ok(
      !JSON.stringify(receiver.received.map((r) => r.body.toString())).includes(key.key),
      'no secret in a sink payload',
    );
  });

  it('failed admin authentications raise one admin_auth_failures alert, and acknowledging it is audited', async () => {
    await eventually(() => webhookAlerts().some(of('admin_auth_failures', 'ip:127.0.0.2')), {
      what: 'admin alert',
    });
    for (let i = 0; i < 10; i++) await badAdminRequest('/admin/v1/alerts');
    await eventually(
      async () =>
        (await server.admin('GET', '/admin/v1/alerts?rule=admin_auth_failures')).json.data[0]?.count >= 2,
      { what: 'the repeats counted on the alert' },
    );
    const page = await server.admin('GET', '/admin/v1/alerts?rule=admin_auth_failures');
    assert.equal(page.status, 200);
    assert.equal(page.json.data.length, 1);
    const alert = page.json.data[0];
    const ack = await server.admin('POST', `/admin/v1/alerts/${alert.id}/acknowledge`, { body: {} });
    assert.equal(ack.status, 200, ack.text);
    assert.equal(ack.json.status, 'acknowledged');
    const shown = await server.admin('GET', `/admin/v1/alerts/${alert.id}`);
    assert.equal(shown.json.status, 'acknowledged');
    const audit = await server.admin('GET', '/admin/v1/audit');
    assert.ok(audit.json.data.some((entry: { action: string }) => entry.action === 'alert.acknowledge'));
    assert.equal(webhookAlerts().filter(of('admin_auth_failures', 'ip:127.0.0.2')).length, 1);
  });

  it('a key sent over plain HTTP raises one plain_http_credential alert', async () => {
    const integrator = await newIntegrator(server);
    const key = await newKey(server, { integrator_id: integrator });
    const plain = new URL(server.gatehouse.plainHttpUrl ?? assert.fail('plain listener'));
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve, reject) => {
        const socket = connect(Number(plain.port), plain.hostname, () =>
          socket.end(
            `GET /v1/orders HTTP/1.1\r\nHost: api.example.test\r\nX-API-Key: ${key.key}\r\nConnection: close\r\n\r\n`,
          ),
        );
        socket.on('data', () => {});
        socket.on('close', () => resolve());
        socket.on('error', reject);
      });
    }
    await eventually(() => webhookAlerts().some(of('plain_http_credential', `credential:${key.id}`)), {
      what: 'the plain_http_credential alert',
    });
    const page = await eventually(async () => {
      const listed = await server.admin('GET', '/admin/v1/alerts?rule=plain_http_credential');
      return listed.json.data[0]?.count >= 3 ? listed : undefined;
    });
    assert.equal(page.json.data.length, 1);
    assert.equal(webhookAlerts().filter(of('plain_http_credential', `credential:${key.id}`)).length, 1);
  });

  it('a sink URL that is not https is refused, and sinks are listed without their secret', async () => {
    const refused = await server.admin('POST', '/admin/v1/alert-sinks', {
      body: { name: 'bad', type: 'slack', url: 'http://hooks.example.com/x' },
    });
    assert.equal(refused.status, 422, refused.text);
    assert.equal(refused.json.code, 'url_not_allowed');
    const list = await server.admin('GET', '/admin/v1/alert-sinks');
    assert.equal(list.status, 200);
    assert.equal(list.json.data.length, 4);
    assert.ok(list.json.data.every((sink: Record<string, unknown>) => !('secret' in sink)));
  });

  it('the CLI lists and acknowledges alerts, lists events, and manages sinks', async () => {
    const env = {
      PATH: process.env.PATH ?? '',
      GATEHOUSE_ADMIN_URL: server.adminUrl,
      GATEHOUSE_ADMIN_TOKEN: server.ownerToken,
      GATEHOUSE_CA_FILE: join(server.dataDir, 'tls', 'ca.pem'),
    };
    const list = await runGatehouse(['alerts', 'list', '--rule', 'auth_failures', '--json'], env);
    assert.equal(list.code, 0, list.stderr);
    const alert = JSON.parse(list.stdout).data[0];
    assert.equal(alert.rule, 'auth_failures');
    const shown = await runGatehouse(['alerts', 'show', alert.id], env);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /auth_failures/);
    const ack = await runGatehouse(['alerts', 'ack', alert.id], env);
    assert.equal(ack.code, 0, ack.stderr);
    assert.match(ack.stdout, /Acknowledged alert/);
    const events = await runGatehouse(['events', '--event', 'authentication_failed'], env);
    assert.equal(events.code, 0, events.stderr);
    assert.match(events.stdout, /authentication_failed/);
    const created = await runGatehouse(
      [
        'alert-sinks',
        'create',
        '--name',
        'cli hook',
        '--type',
        'webhook',
        '--url',
        `${receiver.url}/cli`,
        '--json',
      ],
      env,
    );
    assert.equal(created.code, 0, created.stderr);
    const sink = JSON.parse(created.stdout);
    recordSecret(sink.secret);
    const sinks = await runGatehouse(['alert-sinks', 'list'], env);
    assert.match(sinks.stdout, /cli hook/);
    assert.ok(!sinks.stdout.includes(sink.secret), 'the list never shows a secret');
    const deleted = await runGatehouse(['alert-sinks', 'delete', sink.id], env);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.doesNotMatch((await runGatehouse(['alert-sinks', 'list'], env)).stdout, /cli hook/);
  });
});
