import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import {
  type AlertSinkFixture,
  alertOf as of,
  type SinkAlert,
  startAlertSinkFixture,
} from '../support/alert-sinks.ts';
import { eventually } from '../support/eventually.ts';
import { newIntegrator, newKey } from '../support/fixtures.ts';
import { createHttpsClient } from '../support/https-client.ts';
import { type RecordingUpstream, startRecordingUpstream } from '../support/upstream.ts';

// Short batches and thresholds a test can reach.
const GATEWAY_FILE = `
routes:
  - { method: GET, path: "/v1/orders/{id}", scopes: [] }
rate_limits:
  per_credential: { requests_per_second: 1000, burst: 1000 }
  per_ip: { requests_per_second: 1000, burst: 1000 }
monitoring:
  usage: { flush_interval_ms: 200 }
  detectors:
    new_ip: { learning_period_ms: 0 }
    error_rate: { threshold: 0.5, min_requests: 10, window_minutes: 5 }
    volume_spike: { factor: 3, min_requests: 20, baseline_minutes: 2 }
`;

describe('usage detectors raise one alert per credential at real sinks', () => {
  let fixture: AlertSinkFixture;
  let upstream: RecordingUpstream;
  let server: AlertSinkFixture['server'];
  let integratorId: string;

  before(async () => {
    upstream = await startRecordingUpstream('production');
    fixture = await startAlertSinkFixture(
      'alerts-usage',
      { GATEHOUSE_UPSTREAM_PRODUCTION: upstream.url },
      GATEWAY_FILE,
    );
    server = fixture.server;
    integratorId = await newIntegrator(server);
  });
  after(async () => {
    await fixture?.close();
    await upstream?.close();
  });

  const productionKey = () => newKey(server, { integrator_id: integratorId, environment: 'production' });
  const alertCount = async (rule: string, subject: string) => {
    const page = await server.admin('GET', `/admin/v1/alerts?rule=${rule}`);
    return (page.json.data as SinkAlert[]).find((alert) => alert.subject === subject)?.count ?? 0;
  };
  /** A marker alert queued after the alert under test: the sinks deliver in order, so what came before it is all. */
  async function settle(address: string): Promise<void> {
    const attacker = createHttpsClient(server.ca, { localAddress: address });
    for (let i = 0; i < 6; i++)
      await attacker.send(`${server.adminUrl}/admin/v1/keys`, {
        headers: { authorization: 'Bearer not-a-token' },
      });
    await attacker.close();
    await eventually(() => fixture.webhookAlerts().some(of('admin_auth_failures', `ip:${address}`)), {
      what: 'the marker alert at the webhook sink',
    });
  }

  it('error_rate: most answers 4xx over the window, twice over, is one alert at the sink', async () => {
    const key = await productionKey();
    const subject = `credential:${key.id}`;
    for (let round = 1; round <= 2; round++) {
      for (let i = 0; i < 4; i++)
        assert.equal((await server.data('/v1/orders/1', { headers: { 'x-api-key': key.key } })).status, 200);
      for (let i = 0; i < 8; i++)
        assert.equal((await server.data('/v1/nothing', { headers: { 'x-api-key': key.key } })).status, 404);
      await eventually(async () => (await alertCount('error_rate', subject)) >= round, {
        what: `error_rate raised for round ${round}`,
      });
    }
    await settle('127.0.0.2');
    assert.equal(fixture.webhookAlerts().filter(of('error_rate', subject)).length, 1);
    assert.equal(fixture.slackTexts().filter((text) => text.includes(subject)).length, 1);
  });

  it('new_ip: a credential used from addresses it has not used before is one alert at the sink', async () => {
    const key = await productionKey();
    const subject = `credential:${key.id}`;
    assert.equal((await server.data('/v1/orders/1', { headers: { 'x-api-key': key.key } })).status, 200);
    // Until the first batch is written every address is a first one; each try uses another address.
    let last = 10;
    await eventually(
      async () => {
        last += 1;
        const client = createHttpsClient(server.ca, { localAddress: `127.0.0.${last}` });
        const response = await client.send(`${server.dataUrl}/v1/orders/1`, {
          headers: { 'x-api-key': key.key },
        });
        await client.close();
        assert.equal(response.status, 200, response.text);
        return (await alertCount('new_ip', subject)) >= 1;
      },
      { what: 'new_ip raised', intervalMs: 100 },
    );
    const client = createHttpsClient(server.ca, { localAddress: `127.0.0.${last + 1}` });
    assert.equal(
      (await client.send(`${server.dataUrl}/v1/orders/1`, { headers: { 'x-api-key': key.key } })).status,
      200,
    );
    await client.close();
    await eventually(async () => (await alertCount('new_ip', subject)) >= 2, { what: 'the repeat counted' });
    await settle('127.0.0.3');
    assert.equal(fixture.webhookAlerts().filter(of('new_ip', subject)).length, 1);
    assert.equal(fixture.slackTexts().filter((text) => text.includes(subject)).length, 1);
  });

  it('volume_spike: a minute far above the credential’s history is one alert at the sink', async () => {
    const key = await productionKey();
    const subject = `credential:${key.id}`;
    // Its history: one request in each of the two minutes before this one, first seen 10 minutes ago.
    let now = Date.now();
    if (now % 60_000 > 50_000) {
      await eventually(() => Date.now() % 60_000 < 50_000, {
        what: 'a minute with 10 s left',
        timeoutMs: 15_000,
      });
      now = Date.now();
    }
    const minute = now - (now % 60_000);
    const db = new DatabaseSync(join(server.dataDir, 'gatehouse.sqlite'));
    db.exec('PRAGMA busy_timeout = 5000');
    db.prepare(
      'INSERT INTO usage_ips (credential_id, ip, first_seen, last_seen, request_count) VALUES (?, ?, ?, ?, 2)',
    ).run(key.id, '127.0.0.1', now - 600_000, now - 60_000);
    for (const past of [minute - 120_000, minute - 60_000])
      db.prepare('INSERT INTO usage_minutes (credential_id, minute, status_2xx) VALUES (?, ?, 1)').run(
        key.id,
        past,
      );
    db.close();
    for (let round = 1; round <= 2; round++) {
      for (let i = 0; i < 25; i++)
        assert.equal((await server.data('/v1/orders/1', { headers: { 'x-api-key': key.key } })).status, 200);
      await eventually(async () => (await alertCount('volume_spike', subject)) >= round, {
        what: `volume_spike raised for round ${round}`,
      });
    }
    await settle('127.0.0.4');
    assert.equal(fixture.webhookAlerts().filter(of('volume_spike', subject)).length, 1);
    assert.equal(fixture.slackTexts().filter((text) => text.includes(subject)).length, 1);
  });
});
