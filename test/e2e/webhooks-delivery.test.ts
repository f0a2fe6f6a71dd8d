import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { recordSecret } from '../support/artifacts.ts';
import { readUntil } from '../support/eventually.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import {
  verifyEd25519Webhook,
  verifySimpleWebhook,
  verifyStandardWebhook,
} from '../support/webhook-verifier.ts';

const ORDER_SCHEMA = {
  type: 'object',
  properties: { order_id: { type: 'string' }, amount: { type: 'integer', minimum: 0 } },
  required: ['order_id'],
};

interface Fixture {
  server: TestServer;
  receiver: WebhookReceiver;
  integrator(name: string): Promise<string>;
  endpoint(
    body: Record<string, unknown>,
  ): Promise<{ id: string; secret: string | null; public_key: string | null }>;
  /** Publishes and returns the message id. */
  publish(integratorId: string, data?: Record<string, unknown>, environment?: string): Promise<string>;
  /** Publishes and returns the message id and how many deliveries were queued for it. */
  publishEvent(
    integratorId: string,
    data?: Record<string, unknown>,
    environment?: string,
  ): Promise<{ id: string; deliveries: number }>;
  /** The deliveries queued for an endpoint, newest first (queued in the publish transaction). */
  deliveriesOf(endpointId: string): Promise<Delivery[]>;
}

interface Delivery {
  id: string;
  message_id: string;
  status: string;
  attempts: number;
}

async function startFixture(name: string, env: Record<string, string>): Promise<Fixture> {
  const receiver = await startWebhookReceiver();
  const server = await startTestServer({
    name,
    env: { GATEHOUSE_WEBHOOK_ALLOW_PRIVATE: '1', GATEHOUSE_WEBHOOK_CA_FILE: receiver.caFile, ...env },
  });
  const type = await server.admin('POST', '/admin/v1/event-types', {
    body: { name: 'order.paid', description: 'An order was paid', schema: ORDER_SCHEMA },
  });
  assert.equal(type.status, 201, type.text);
  const publishEvent: Fixture['publishEvent'] = async (
    integratorId,
    data = { order_id: 'o-1', amount: 4200 },
    environment = 'production',
  ) => {
    const published = await server.admin('POST', '/admin/v1/events', {
      body: { type: 'order.paid', integrator_id: integratorId, environment, data },
    });
    assert.equal(published.status, 201, published.text);
    return { id: published.json.id, deliveries: published.json.deliveries };
  };
  return {
    server,
    receiver,
    async integrator(integratorName) {
      const created = await server.admin('POST', '/admin/v1/integrators', { body: { name: integratorName } });
      assert.equal(created.status, 201, created.text);
      return created.json.id;
    },
    async endpoint(body) {
      const created = await server.admin('POST', '/admin/v1/webhook-endpoints', {
        body: { environment: 'production', event_types: ['order.paid'], ...body },
      });
      assert.equal(created.status, 201, created.text);
      if (created.json.secret) recordSecret(created.json.secret);
      return created.json;
    },
    publishEvent,
    publish: async (integratorId, data, environment) =>
      (await publishEvent(integratorId, data, environment)).id,
    async deliveriesOf(endpointId) {
      const listed = await server.admin(
        'GET',
        `/admin/v1/webhook-deliveries?endpoint_id=${endpointId}&limit=100`,
      );
      assert.equal(listed.status, 200, listed.text);
      return listed.json.data;
    },
  };
}

const flipByte = (body: Buffer) => {
  const copy = Buffer.from(body);
  copy[copy.length - 2] = (copy[copy.length - 2] as number) ^ 0x01;
  return copy;
};

describe('webhooks end to end: signed deliveries to an HTTPS receiver', () => {
  let f: Fixture;
  let acme: string;

  before(async () => {
    f = await startFixture('webhooks-delivery', {
      GATEHOUSE_WEBHOOK_RETRY_SCHEDULE: '0,50ms,50ms,50ms,50ms,50ms',
      GATEHOUSE_WEBHOOK_DISABLE_AFTER: '1h',
    });
    acme = await f.integrator('Acme');
  });
  after(async () => {
    await f.server.close();
    await f.receiver.close();
  });

  it('standard scheme: a delivery verifies with the secret shown at creation; a tampered body or stale timestamp does not', async () => {
    const endpoint = await f.endpoint({ integrator_id: acme, url: `${f.receiver.url}/standard` });
    assert.match(endpoint.secret as string, /^whsec_[A-Za-z0-9+/]{43}=$/);
    const messageId = await f.publish(acme, { order_id: 'o-42', amount: 4200 });
    await f.receiver.waitFor(() => f.receiver.receivedAt('/standard').length === 1);
    const [delivery] = f.receiver.receivedAt('/standard');
    assert.ok(delivery);
    assert.equal(delivery.headers['webhook-id'], messageId);
    assert.equal(delivery.headers['content-type'], 'application/json');
    const payload = JSON.parse(delivery.body.toString('utf8'));
    assert.equal(payload.type, 'order.paid');
    assert.deepEqual(payload.data, { order_id: 'o-42', amount: 4200 });
    assert.ok(!Number.isNaN(Date.parse(payload.timestamp)));

    const secret = endpoint.secret as string;
    assert.equal(verifyStandardWebhook(secret, delivery.headers, delivery.body), true);
    assert.equal(verifyStandardWebhook(secret, delivery.headers, flipByte(delivery.body)), false);
    const sentAt = Number(delivery.headers['webhook-timestamp']);
    assert.ok(Math.abs(sentAt - Date.now() / 1000) < 60);
    assert.equal(verifyStandardWebhook(secret, delivery.headers, delivery.body, sentAt + 301), false);
    const backdated = { ...delivery.headers, 'webhook-timestamp': String(sentAt - 10) };
    assert.equal(verifyStandardWebhook(secret, backdated, delivery.body), false);
    const otherId = { ...delivery.headers, 'webhook-id': 'another-id' };
    assert.equal(verifyStandardWebhook(secret, otherId, delivery.body), false);
  });

  it('simple scheme: the hex HMAC of the raw body arrives in the header the endpoint chose', async () => {
    const endpoint = await f.endpoint({
      integrator_id: acme,
      url: `${f.receiver.url}/simple`,
      signing_scheme: 'simple',
      signature_header: 'X-Acme-Signature',
    });
    await f.publish(acme);
    await f.receiver.waitFor(() => f.receiver.receivedAt('/simple').length === 1);
    const [delivery] = f.receiver.receivedAt('/simple');
    assert.ok(delivery);
    const value = delivery.headers['x-acme-signature'] as string;
    assert.match(value, /^[0-9a-f]{64}$/);
    assert.equal(delivery.headers['webhook-signature'], undefined);
    assert.equal(verifySimpleWebhook(endpoint.secret as string, value, delivery.body), true);
    assert.equal(verifySimpleWebhook(endpoint.secret as string, value, flipByte(delivery.body)), false);
  });

  it('Ed25519 scheme: v1a signatures verify with the public key on the endpoint; no secret is ever shown', async () => {
    const endpoint = await f.endpoint({
      integrator_id: acme,
      url: `${f.receiver.url}/ed25519`,
      signing_scheme: 'ed25519',
    });
    assert.equal(endpoint.secret, null);
    assert.match(endpoint.public_key as string, /^whpk_/);
    await f.publish(acme);
    await f.receiver.waitFor(() => f.receiver.receivedAt('/ed25519').length === 1);
    const [delivery] = f.receiver.receivedAt('/ed25519');
    assert.ok(delivery);
    assert.match(delivery.headers['webhook-signature'] as string, /^v1a,/);
    const key = endpoint.public_key as string;
    assert.equal(verifyEd25519Webhook(key, delivery.headers, delivery.body), true);
    assert.equal(verifyEd25519Webhook(key, delivery.headers, flipByte(delivery.body)), false);
    const sentAt = Number(delivery.headers['webhook-timestamp']);
    assert.equal(verifyEd25519Webhook(key, delivery.headers, delivery.body, sentAt + 301), false);
  });

  it('rotating a secret signs with both during the overlap, then with the new one only', async () => {
    const endpoint = await f.endpoint({ integrator_id: acme, url: `${f.receiver.url}/rotating` });
    const old = endpoint.secret as string;
    const rotated = await f.server.admin('POST', `/admin/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, {
      body: { overlap_seconds: 3600 },
    });
    assert.equal(rotated.status, 200, rotated.text);
    const fresh = recordSecret(rotated.json.secret);
    assert.notEqual(fresh, old);
    assert.equal(rotated.json.secrets.length, 2);

    await f.publish(acme);
    await f.receiver.waitFor(() => f.receiver.receivedAt('/rotating').length === 1);
    const [during] = f.receiver.receivedAt('/rotating');
    assert.ok(during);
    assert.equal((during.headers['webhook-signature'] as string).split(' ').length, 2);
    assert.equal(verifyStandardWebhook(old, during.headers, during.body), true);
    assert.equal(verifyStandardWebhook(fresh, during.headers, during.body), true);

    const ended = await f.server.admin('POST', `/admin/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, {
      body: { overlap_seconds: 0 },
    });
    const newest = recordSecret(ended.json.secret);
    await f.publish(acme);
    await f.receiver.waitFor(() => f.receiver.receivedAt('/rotating').length === 2);
    const afterRotation = f.receiver.receivedAt('/rotating')[1];
    assert.ok(afterRotation);
    assert.equal(verifyStandardWebhook(newest, afterRotation.headers, afterRotation.body), true);
    assert.equal(verifyStandardWebhook(fresh, afterRotation.headers, afterRotation.body), false);
    assert.equal(verifyStandardWebhook(old, afterRotation.headers, afterRotation.body), false);
  });

  it('an event for integrator A never reaches integrator B’s endpoint (nor A’s sandbox endpoint)', async () => {
    const a = await f.integrator('Integrator A');
    const b = await f.integrator('Integrator B');
    const atA = await f.endpoint({ integrator_id: a, url: `${f.receiver.url}/tenant-a` });
    const sandboxOfA = await f.endpoint({
      integrator_id: a,
      url: `${f.receiver.url}/tenant-a-sandbox`,
      environment: 'sandbox',
    });
    const atB = await f.endpoint({ integrator_id: b, url: `${f.receiver.url}/tenant-b` });
    const sentToA = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const published = await f.publishEvent(a, { order_id: `a-${i}` });
      assert.equal(published.deliveries, 1, 'an event for A is queued for A’s production endpoint only');
      sentToA.add(published.id);
    }
    const sentToB = await f.publishEvent(b, { order_id: 'b-0' });
    assert.equal(sentToB.deliveries, 1, 'an event for B is queued for B’s endpoint only');

    const queuedAtA = await f.deliveriesOf(atA.id);
    assert.deepEqual(new Set(queuedAtA.map((d) => d.message_id)), sentToA);
    assert.equal(queuedAtA.length, 20);
    assert.deepEqual(
      (await f.deliveriesOf(atB.id)).map((d) => d.message_id),
      [sentToB.id],
    );
    assert.deepEqual(await f.deliveriesOf(sandboxOfA.id), []);

    // Once every queued delivery has succeeded, nothing more will be sent: what arrived is final.
    await readUntil(
      async () => [...(await f.deliveriesOf(atA.id)), ...(await f.deliveriesOf(atB.id))],
      (all) => all.every((d) => d.status === 'succeeded'),
    );
    const receivedAtA = f.receiver.receivedAt('/tenant-a').map((r) => r.headers['webhook-id'] as string);
    const receivedAtB = f.receiver.receivedAt('/tenant-b').map((r) => r.headers['webhook-id'] as string);
    assert.deepEqual(new Set(receivedAtA), sentToA);
    assert.deepEqual(receivedAtB, [sentToB.id]);
    assert.equal(f.receiver.receivedAt('/tenant-a-sandbox').length, 0);
  });

  it('a receiver failing the first 3 attempts gets the event on attempt 4, and every attempt is recorded', async () => {
    f.receiver.reply = (request, earlier) =>
      request.path === '/flaky' && earlier.length < 3
        ? { status: 500, body: 'try again later' }
        : { status: 204 };
    await f.endpoint({ integrator_id: acme, url: `${f.receiver.url}/flaky` });
    const messageId = await f.publish(acme);
    await f.receiver.waitFor(() => f.receiver.receivedAt('/flaky').length === 4);
    const requests = f.receiver.receivedAt('/flaky');
    assert.ok(
      requests.every((r) => r.headers['webhook-id'] === messageId),
      'a retry keeps the webhook-id',
    );

    const delivery = await readUntil(
      async () =>
        (await f.server.admin('GET', `/admin/v1/webhook-deliveries?message_id=${messageId}`)).json.data[0],
      (d) => d?.status === 'succeeded',
    );
    assert.equal(delivery.attempts, 4);
    const attempts = await f.server.admin('GET', `/admin/v1/webhook-deliveries/${delivery.id}/attempts`);
    assert.equal(attempts.status, 200);
    assert.deepEqual(
      attempts.json.data.map((a: { attempt: number; status_code: number }) => [a.attempt, a.status_code]),
      [
        [4, 204],
        [3, 500],
        [2, 500],
        [1, 500],
      ],
    );
    assert.equal(attempts.json.data[1].response_body, 'try again later');
    assert.ok(attempts.json.data.every((a: { duration_ms: number }) => a.duration_ms >= 0));
    f.receiver.reply = () => ({ status: 204 });
  });

  it('a delivery that exhausts its retries fails, and can be replayed once the receiver is fixed', async () => {
    let down = true;
    f.receiver.reply = (request) => (request.path === '/down' && down ? { status: 503 } : { status: 204 });
    const endpoint = await f.endpoint({ integrator_id: acme, url: `${f.receiver.url}/down` });
    const since = new Date().toISOString();
    const messageId = await f.publish(acme);
    await f.receiver.waitFor(() => f.receiver.receivedAt('/down').length === 6, 10_000, 'six attempts');
    await readUntil(
      async () =>
        (await f.server.admin('GET', `/admin/v1/webhook-deliveries?endpoint_id=${endpoint.id}`)).json.data[0],
      (d) => d?.status === 'failed',
    );
    assert.equal(
      (await f.server.admin('GET', `/admin/v1/webhook-endpoints/${endpoint.id}`)).json.enabled,
      true,
    );

    down = false;
    const replayed = await f.server.admin('POST', `/admin/v1/webhook-endpoints/${endpoint.id}/replay`, {
      body: { since },
    });
    assert.equal(replayed.status, 200, replayed.text);
    assert.equal(replayed.json.replayed, 1);
    await f.receiver.waitFor(() => f.receiver.receivedAt('/down').length === 7);
    const again = await f.server.admin('POST', `/admin/v1/webhook-messages/${messageId}/replay`, {
      body: {},
    });
    assert.equal(again.status, 200);
    await f.receiver.waitFor(() => f.receiver.receivedAt('/down').length === 8);
    assert.ok(f.receiver.receivedAt('/down').every((r) => r.headers['webhook-id'] === messageId));
    f.receiver.reply = () => ({ status: 204 });
  });

  it('410 Gone disables the endpoint at once; later events are not queued for it', async () => {
    f.receiver.reply = (request) => (request.path === '/gone' ? { status: 410 } : { status: 204 });
    const endpoint = await f.endpoint({ integrator_id: acme, url: `${f.receiver.url}/gone` });
    await f.publish(acme);
    await f.receiver.waitFor(() => f.receiver.receivedAt('/gone').length === 1);
    const current = await readUntil(
      async () => (await f.server.admin('GET', `/admin/v1/webhook-endpoints/${endpoint.id}`)).json,
      (e) => e.enabled === false,
    );
    assert.equal(current.disabled_reason, 'gone');
    const audit = await f.server.admin('GET', `/admin/v1/audit?target_id=${endpoint.id}`);
    const disable = audit.json.data.find((e: { action: string }) => e.action === 'webhook_endpoint.disable');
    assert.equal(disable?.actor.type, 'system');
    const [first] = await readUntil(
      () => f.deliveriesOf(endpoint.id),
      (all) => all.length === 1 && all[0]?.status === 'failed',
    );
    assert.ok(first);
    const later = await f.publishEvent(acme);
    assert.deepEqual(
      (await f.deliveriesOf(endpoint.id)).map((d) => d.message_id),
      [first.message_id],
      'the later event is not queued for the disabled endpoint',
    );
    const queuedForLater = await f.server.admin('GET', `/admin/v1/webhook-deliveries?message_id=${later.id}`);
    assert.equal(queuedForLater.json.data.length, later.deliveries);
    assert.ok(!queuedForLater.json.data.some((d: { endpoint_id: string }) => d.endpoint_id === endpoint.id));
    assert.equal(f.receiver.receivedAt('/gone').length, 1);
    f.receiver.reply = () => ({ status: 204 });
  });
});

describe('webhooks end to end: an endpoint that never succeeds', () => {
  let f: Fixture;

  before(async () => {
    f = await startFixture('webhooks-failing', {
      GATEHOUSE_WEBHOOK_RETRY_SCHEDULE: ['0', ...Array.from({ length: 30 }, () => '100ms')].join(','),
      GATEHOUSE_WEBHOOK_DISABLE_AFTER: '500ms',
    });
    f.receiver.reply = () => ({ status: 500, body: 'broken' });
  });
  after(async () => {
    await f.server.close();
    await f.receiver.close();
  });

  it('is disabled after failing for the configured time, and a security event alerts its owner', async () => {
    const integrator = await f.integrator('Initech');
    const endpoint = await f.endpoint({ integrator_id: integrator, url: `${f.receiver.url}/broken` });
    await f.publish(integrator);
    const current = await readUntil(
      async () => (await f.server.admin('GET', `/admin/v1/webhook-endpoints/${endpoint.id}`)).json,
      (e) => e.enabled === false,
      { timeoutMs: 15_000 },
    );
    assert.equal(current.disabled_reason, 'failing');
    const attempts = f.receiver.receivedAt('/broken').length;
    // Retried before it was disabled: how many retries fit in the 500 ms depends on the machine's load.
    assert.ok(attempts >= 2, `only ${attempts} attempts`);

    const events = await f.server.admin('GET', '/admin/v1/security-events?event=webhook_endpoint_disabled');
    const event = events.json.data.find(
      (e: { details: { endpoint_id: string } }) => e.details.endpoint_id === endpoint.id,
    );
    assert.ok(event, 'no security event for the disabled endpoint');
    assert.equal(event.source, 'webhooks');
    assert.equal(event.integrator_id, integrator);
    assert.equal(event.details.reason, 'failing');

    // The delivery failed for good with every attempt recorded, so no further attempt is coming.
    const [delivery] = await readUntil(
      () => f.deliveriesOf(endpoint.id),
      (all) => all.length === 1 && all[0]?.status === 'failed',
    );
    assert.ok(delivery);
    assert.equal(delivery.attempts, attempts);
    const recorded = await f.server.admin('GET', `/admin/v1/webhook-deliveries/${delivery.id}/attempts`);
    assert.equal(recorded.json.data.length, attempts);
    const later = await f.publishEvent(integrator);
    assert.equal(later.deliveries, 0, 'a disabled endpoint gets nothing more');
    assert.deepEqual(
      (await f.deliveriesOf(endpoint.id)).map((d) => d.id),
      [delivery.id],
    );
    assert.equal(f.receiver.receivedAt('/broken').length, attempts, 'a disabled endpoint gets nothing more');
  });
});
