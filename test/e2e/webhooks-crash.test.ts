import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { recordSecret } from '../support/artifacts.ts';
import { createHttpsClient } from '../support/https-client.ts';
import { type ServerProcess, spawnServer } from '../support/server-process.ts';
import { testEnvironment } from '../support/test-config.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { verifyStandardWebhook } from '../support/webhook-verifier.ts';

const EVENTS = 5000;
const PUBLISH_CONCURRENCY = 16;

describe('webhooks survive a crash: at-least-once delivery across kill -9', () => {
  let receiver: WebhookReceiver;
  let dataDir: string;
  let env: Record<string, string>;
  let running: ServerProcess | undefined;

  before(async () => {
    receiver = await startWebhookReceiver();
    ({ env, dataDir } = testEnvironment({
      GATEHOUSE_LOG_LEVEL: 'info',
      GATEHOUSE_WEBHOOK_ALLOW_PRIVATE: '1',
      GATEHOUSE_WEBHOOK_CA_FILE: receiver.caFile,
      GATEHOUSE_WEBHOOK_ENDPOINT_CONCURRENCY: '8',
      GATEHOUSE_WEBHOOK_RETRY_SCHEDULE: '0,100ms,500ms,1s,2s,5s',
    }));
  });
  after(async () => {
    if (running && running.child.exitCode === null) {
      running.child.kill('SIGKILL');
      await running.exited;
    }
    await receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`loses none of ${EVENTS} published events when the server is killed mid-delivery and restarted`, {
    timeout: 120_000,
  }, async (t) => {
    running = await spawnServer(env, 'webhooks-crash-1');
    const client = createHttpsClient(readFileSync(join(dataDir, 'tls', 'ca.pem')));
    const admin = async (adminUrl: string, method: string, path: string, body?: unknown) =>
      client.send(`${adminUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${env.GATEHOUSE_ADMIN_TOKEN}` },
        ...(body === undefined ? {} : { body }),
      });

    const url = running.adminUrl;
    assert.equal(
      (
        await admin(url, 'POST', '/admin/v1/event-types', {
          name: 'ledger.entry',
          schema: { type: 'object' },
        })
      ).status,
      201,
    );
    const integrator = (await admin(url, 'POST', '/admin/v1/integrators', { name: 'Crash Test Dummies' }))
      .json.id;
    const endpoint = await admin(url, 'POST', '/admin/v1/webhook-endpoints', {
      integrator_id: integrator,
      environment: 'production',
      url: `${receiver.url}/ledger`,
      event_types: ['ledger.entry'],
    });
    assert.equal(endpoint.status, 201, endpoint.text);
    const secret = recordSecret(endpoint.json.secret);

    // A slow receiver keeps most events queued while they are published, so the kill lands mid-delivery.
    receiver.reply = () => ({ status: 200, delayMs: 30 });
    const published = new Set<string>();
    let next = 0;
    await Promise.all(
      Array.from({ length: PUBLISH_CONCURRENCY }, async () => {
        while (next < EVENTS) {
          const sequence = next++;
          const response = await admin(url, 'POST', '/admin/v1/events', {
            type: 'ledger.entry',
            integrator_id: integrator,
            environment: 'production',
            data: { sequence },
          });
          assert.equal(response.status, 201, response.text);
          published.add(response.json.id);
        }
      }),
    );
    assert.equal(published.size, EVENTS);
    const distinct = () =>
      new Set(receiver.receivedAt('/ledger').map((r) => r.headers['webhook-id'] as string));
    await receiver.waitFor(() => distinct().size >= 300, 30_000, 'deliveries to start');

    running.child.kill('SIGKILL');
    await running.exited;
    const beforeCrash = distinct().size;
    t.diagnostic(`killed with ${beforeCrash} of ${EVENTS} events received`);
    assert.ok(beforeCrash < EVENTS, 'the server must die mid-delivery for this test to mean anything');

    receiver.reply = () => ({ status: 200 });
    running = await spawnServer(env, 'webhooks-crash-2');
    await receiver.waitFor(() => distinct().size === EVENTS, 90_000, `all ${EVENTS} webhook-ids`);
    await client.close();

    const received = receiver.receivedAt('/ledger');
    const ids = distinct();
    for (const id of published) assert.ok(ids.has(id), `event ${id} was lost`);
    for (const id of ids) assert.ok(published.has(id), `an unknown webhook-id ${id} arrived`);
    const sample = received.filter((_, i) => i % 97 === 0);
    for (const delivery of sample) {
      assert.ok(
        verifyStandardWebhook(secret, delivery.headers, delivery.body),
        'a delivery failed verification',
      );
    }
    const duplicates = received.length - ids.size;
    t.diagnostic(
      `crash test: ${received.length} requests for ${ids.size} distinct webhook-ids, ${duplicates} duplicates`,
    );
    console.log(`crash test duplicates: ${duplicates} (of ${received.length} requests, ${EVENTS} events)`);

    running.child.kill('SIGTERM');
    assert.equal(await running.exited, 0);
  });
});
