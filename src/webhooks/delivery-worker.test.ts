import assert from 'node:assert/strict';
import { createSecretKey, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { recordSecret } from '../../test/support/artifacts.ts';
import {
  harnessContext as context,
  type DeliveryHarness,
  openDeliveryHarness,
} from '../../test/support/delivery-harness.ts';
import { eventually } from '../../test/support/eventually.ts';
import { gate, type RecordingReceiver } from '../../test/support/recording-receiver.ts';
import type { Services } from '../server/services.ts';
import type { DeliveryOutcome } from './delivery-outcome.ts';
import { parseHmacSecret } from './signing-secret.ts';
import { verifyStandardSignature } from './standard-signature.ts';
import type { WebhookConfig } from './webhook-config.ts';

/**
 * The delivery engine in one process with its real parts (`openDeliveryHarness`): a migrated SQLite
 * file, the durable queue, the envelope that sealed bodies and secrets, and an undici Agent POSTing
 * to a plain HTTP receiver.
 */
describe('the delivery worker', () => {
  let harness: DeliveryHarness;
  let services: Services;
  let receiver: RecordingReceiver;
  let origin: string;
  let integrator: string;
  let disabled: { id: string; reason: string; details: Record<string, unknown> }[];
  let outcomes: DeliveryOutcome['kind'][];

  beforeEach(async () => {
    harness = await openDeliveryHarness('worker');
    ({ services, receiver, origin, integrator } = harness);
    disabled = [];
    outcomes = [];
  });

  afterEach(() => harness.close());

  const startWorker = (overrides: Partial<WebhookConfig> = {}) => {
    const worker = harness.newWorker(overrides, {
      disableEndpoint: async (id, reason, details) => {
        disabled.push({ id, reason, details });
      },
    });
    worker.onAttempt((kind) => outcomes.push(kind));
    worker.start();
    return worker;
  };
  const endpoint = async (path: string, eventType = 'order.created') => {
    const issued = await services.webhooks.endpoints.create(
      {
        integrator_id: integrator,
        environment: 'production',
        url: `${origin}${path}`,
        event_types: [eventType],
      },
      context,
    );
    return { id: issued.endpoint.id, secret: recordSecret(issued.secret as string) };
  };
  const publish = async (type = 'order.created', data: Record<string, unknown> = { id: 'o1' }) =>
    (
      await services.webhooks.publisher.publish({
        type,
        integrator_id: integrator,
        environment: 'production',
        data,
      })
    ).id;
  const deliveryOf = (messageId: string) => harness.deliveryOf(messageId);
  const attemptsOf = (deliveryId: string) =>
    services.database.db
      .selectFrom('webhook_attempts')
      .selectAll()
      .where('delivery_id', '=', deliveryId)
      .orderBy('attempt')
      .execute();
  const settled = (messageId: string, status: 'succeeded' | 'failed') => harness.settled(messageId, status);

  it('POSTs a queued delivery once, signed for the endpoint, and records it delivered with its attempt', async () => {
    const { secret } = await endpoint('/orders');
    const messageId = await publish('order.created', { id: 'o-42' });
    const worker = startWorker();
    await settled(messageId, 'succeeded');
    await worker.stop();

    assert.equal(receiver.received.length, 1);
    const [request] = receiver.received;
    assert.ok(request);
    assert.equal(request.path, '/orders');
    assert.equal(request.headers['webhook-id'], messageId);
    const timestamp = Number(request.headers['webhook-timestamp']);
    assert.ok(Math.abs(timestamp - Date.now() / 1000) < 60, 'webhook-timestamp is now, in seconds');
    const key = parseHmacSecret(secret);
    assert.ok(key);
    const signature = String(request.headers['webhook-signature']);
    assert.deepEqual(
      verifyStandardSignature({ id: messageId, timestamp, body: request.body }, signature, {
        hmacKeys: [createSecretKey(key)],
      }),
      { ok: true },
    );
    assert.deepEqual(
      verifyStandardSignature({ id: messageId, timestamp, body: request.body }, signature, {
        hmacKeys: [createSecretKey(randomBytes(32))],
      }),
      { ok: false, reason: 'no_matching_signature' },
      'the signature is bound to this endpoint secret',
    );
    assert.deepEqual((JSON.parse(request.body.toString()) as { data: unknown }).data, { id: 'o-42' });

    const delivery = await deliveryOf(messageId);
    assert.equal(delivery.attempts, 1);
    assert.equal(delivery.last_status_code, 204);
    assert.equal(delivery.locked_until, null);
    const attempts = await attemptsOf(delivery.id);
    assert.equal(attempts.length, 1);
    assert.equal(attempts[0]?.attempt, 1);
    assert.equal(attempts[0]?.status_code, 204);
    assert.equal(attempts[0]?.error, null);
    assert.ok((attempts[0]?.duration_ms ?? -1) >= 0, 'the latency is recorded');
    assert.deepEqual(outcomes, ['succeeded']);
  });

  it('retries a 500 after the scheduled delay, and the retry that gets a 2xx completes the delivery', async () => {
    await endpoint('/flaky');
    receiver.reply = (_request, earlier) => (earlier === 0 ? 500 : 204);
    const messageId = await publish();
    startWorker({ retrySchedule: [0, 1000, 60_000] });

    // Between the two attempts: the 500 is recorded and the next attempt is 1 s (±20 % jitter) later.
    const scheduled = await eventually(
      async () => {
        const row = await deliveryOf(messageId);
        return row.attempts === 1 && row.locked_until === null ? row : undefined;
      },
      { what: 'the first attempt recorded and the retry scheduled' },
    );
    assert.equal(scheduled.status, 'pending');
    assert.equal(scheduled.last_status_code, 500);
    assert.equal(scheduled.retry_step, 1);
    assert.ok(scheduled.last_attempt_at !== null);
    assert.ok(scheduled.next_attempt_at >= scheduled.last_attempt_at + 800, 'not before the schedule');
    assert.ok(scheduled.next_attempt_at <= scheduled.updated_at + 1200, 'not later than the schedule');

    await settled(messageId, 'succeeded');
    const attempts = await attemptsOf(scheduled.id);
    assert.deepEqual(
      attempts.map((attempt) => [attempt.attempt, attempt.status_code]),
      [
        [1, 500],
        [2, 204],
      ],
    );
    const [first, second] = attempts;
    assert.ok(first && second && second.started_at >= first.started_at + 800, 'the retry waited its delay');
    assert.equal(receiver.at('/flaky').length, 2);
    assert.deepEqual(outcomes, ['retry', 'succeeded']);
  });

  it('holds at most endpointConcurrency requests open to a slow endpoint while another endpoint is served', async () => {
    await endpoint('/slow', 'order.created');
    await endpoint('/fast', 'order.paid');
    const slow = gate();
    receiver.reply = async (request) => {
      if (request.path === '/slow') await slow.wait;
      return 204;
    };
    const slowMessages: string[] = [];
    for (let i = 0; i < 5; i++) slowMessages.push(await publish('order.created', { id: `o${i}` }));
    const fastMessage = await publish('order.paid');
    startWorker({ endpointConcurrency: 2 });

    await eventually(() => (receiver.open.get('/slow') ?? 0) >= 2, { what: 'requests open to /slow' });
    await settled(fastMessage, 'succeeded');
    assert.equal(receiver.open.get('/slow'), 2, 'the slow requests were still open when /fast was served');
    for (const id of slowMessages) assert.equal((await deliveryOf(id)).status, 'pending');

    slow.release();
    for (const id of slowMessages) await settled(id, 'succeeded');
    assert.equal(receiver.at('/slow').length, 5);
    assert.equal(receiver.peak.get('/slow'), 2, 'never more than endpointConcurrency in flight');
    assert.equal(receiver.at('/fast').length, 1);
  });

  it('a 410 Gone fails the delivery, disables the endpoint once and fails what waited for it unsent', async () => {
    const gone = await endpoint('/gone');
    receiver.reply = () => 410;
    const first = await publish('order.created', { id: 'o1' });
    const second = await publish('order.created', { id: 'o2' });
    const worker = startWorker({ endpointConcurrency: 1 });

    await settled(first, 'failed');
    await settled(second, 'failed');
    await worker.stop();
    assert.equal(receiver.at('/gone').length, 1);
    assert.equal((await deliveryOf(first)).last_status_code, 410);
    assert.equal((await deliveryOf(second)).last_error, 'endpoint_disabled');
    assert.equal(disabled.length, 1);
    assert.equal(disabled[0]?.id, gone.id);
    assert.equal(disabled[0]?.reason, 'gone');
    assert.equal(disabled[0]?.details.last_status_code, 410);
    assert.deepEqual(outcomes, ['failed']);
  });

  it('a 500 on the last scheduled attempt fails the delivery for good without disabling the endpoint', async () => {
    await endpoint('/broken');
    receiver.reply = () => 500;
    const messageId = await publish();
    const worker = startWorker({ retrySchedule: [0] });

    await settled(messageId, 'failed');
    await worker.stop();
    const delivery = await deliveryOf(messageId);
    assert.equal(delivery.attempts, 1);
    assert.equal(delivery.last_status_code, 500);
    assert.equal(receiver.at('/broken').length, 1);
    assert.deepEqual(disabled, []);
    assert.deepEqual(outcomes, ['failed']);
  });

  it('stop() lets an attempt in flight finish and commits its result before it returns', async () => {
    await endpoint('/held');
    const held = gate();
    receiver.reply = async () => {
      await held.wait;
      return 204;
    };
    const messageId = await publish();
    const worker = startWorker();
    await eventually(() => receiver.open.get('/held') === 1, { what: 'the request in flight' });

    const stopping = worker.stop();
    held.release();
    await stopping;
    const delivery = await deliveryOf(messageId);
    assert.equal(delivery.status, 'succeeded');
    assert.equal(delivery.attempts, 1);
    assert.equal((await attemptsOf(delivery.id)).length, 1);
  });

  it('stop() aborts an attempt the receiver never answers and gives the delivery back, due at once', async () => {
    await endpoint('/stuck');
    const stuck = gate();
    receiver.reply = async (_request, earlier) => {
      if (earlier === 0) await stuck.wait;
      return 204;
    };
    const messageId = await publish();
    const worker = startWorker();
    await eventually(() => receiver.open.get('/stuck') === 1, { what: 'the request in flight' });

    await worker.stop(); // waits out its grace period, then aborts
    const released = await deliveryOf(messageId);
    assert.equal(released.status, 'pending');
    assert.equal(released.locked_until, null);
    assert.equal(released.attempts, 0);
    assert.ok(released.next_attempt_at <= Date.now(), 'due again at once');
    assert.deepEqual(await attemptsOf(released.id), [], 'an aborted attempt is no verdict on the receiver');
    assert.deepEqual(outcomes, []);
    stuck.release();

    startWorker();
    await settled(messageId, 'succeeded');
    assert.equal(receiver.at('/stuck').length, 2);
    assert.equal((await deliveryOf(messageId)).attempts, 1);
  });
});
