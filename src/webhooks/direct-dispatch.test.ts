import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  harnessContext as context,
  type DeliveryHarness,
  openDeliveryHarness,
} from '../../test/support/delivery-harness.ts';
import { eventually } from '../../test/support/eventually.ts';
import { gate, type RecordingReceiver } from '../../test/support/recording-receiver.ts';
import type { Services } from '../server/services.ts';
import { DeliveryQueue } from './delivery-queue.ts';
import { EventPublisher } from './event-publisher.ts';
import type { WebhookConfig } from './webhook-config.ts';

/**
 * Direct dispatch (publishes handing deliveries straight to the local worker), alone and racing the
 * worker's own claims and its stop(), with the same real parts as delivery-worker.test.ts
 * (`openDeliveryHarness`).
 */
describe('direct dispatch', () => {
  let harness: DeliveryHarness;
  let services: Services;
  let receiver: RecordingReceiver;
  let origin: string;
  let integrator: string;

  beforeEach(async () => {
    harness = await openDeliveryHarness('direct-dispatch');
    ({ services, receiver, origin, integrator } = harness);
  });

  afterEach(() => harness.close());

  /** A worker (polling once a minute) on `queue`, and a publisher dispatching to it and waking it. */
  const setUp = (queue?: DeliveryQueue, overrides: Partial<WebhookConfig> = {}) => {
    const { db, dialect } = services.database;
    const worker = harness.newWorker({ pollIntervalMs: 60_000, ...overrides }, queue ? { queue } : {});
    const publisher = new EventPublisher({
      db,
      catalog: services.webhooks.catalog,
      envelope: services.envelope,
      queue: new DeliveryQueue(db, dialect),
      firstDelayMs: 0,
      onPublished: (ids) => worker.wakeFor(ids),
      dispatch: worker,
    });
    return { worker, publisher };
  };
  const endpoint = (path: string, eventType = 'order.created') =>
    services.webhooks.endpoints.create(
      {
        integrator_id: integrator,
        environment: 'production',
        url: `${origin}${path}`,
        event_types: [eventType],
      },
      context,
    );
  const publishThrough = async (
    publisher: EventPublisher,
    data: Record<string, unknown>,
    type = 'order.created',
  ) =>
    (
      await publisher.publish({
        type,
        integrator_id: integrator,
        environment: 'production',
        data,
      })
    ).id;
  const deliveryOf = (messageId: string) => harness.deliveryOf(messageId);
  const settled = (messageId: string, status: 'succeeded' | 'failed') => harness.settled(messageId, status);
  const dataOf = (path: string) =>
    receiver.at(path).map((request) => (JSON.parse(request.body.toString()) as { data: unknown }).data);

  it('a delivery queued while a claim runs is claimed without waiting for the poll, before newer ones', async () => {
    await endpoint('/during');
    let publisher: EventPublisher | undefined;
    let queuedId: string | undefined;
    // The first claim commits having seen an empty queue; before the worker hears back, a publish
    // (refused direct dispatch: nothing is known yet) commits a queued delivery and wakes it.
    class RacingQueue extends DeliveryQueue {
      override async claim(options: Parameters<DeliveryQueue['claim']>[0]) {
        const claimed = await super.claim(options);
        if (queuedId === undefined && publisher) queuedId = await publishThrough(publisher, { n: 'queued' });
        return claimed;
      }
    }
    const setup = setUp(new RacingQueue(services.database.db, services.database.dialect));
    publisher = setup.publisher;
    setup.worker.start();
    const first = await eventually(() => queuedId, { what: 'the delivery queued during the claim' });
    const second = await publishThrough(publisher, { n: 'later' });
    await settled(first, 'succeeded');
    await settled(second, 'succeeded');
    assert.deepEqual(dataOf('/during'), [{ n: 'queued' }, { n: 'later' }], 'the older delivery first');
  });

  it('stop() waits for a delivery reserved by a publish still committing, and gives it back unleased', async () => {
    await endpoint('/stopping');
    const { worker, publisher } = setUp();
    worker.start();
    await settled(await publishThrough(publisher, { n: 'warm-up' }), 'succeeded');
    const direct = await publishThrough(publisher, { n: 'direct' });
    const row = await deliveryOf(direct);
    assert.ok(row.status === 'succeeded' || (row.locked_until ?? 0) > Date.now(), 'dispatched directly');
    await settled(direct, 'succeeded');

    // This publish reserves its delivery, then its transaction waits (storing its idempotent response).
    const held = gate();
    let reached!: () => void;
    const completing = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const publishing = publisher.publish(
      { type: 'order.created', integrator_id: integrator, environment: 'production', data: { n: 'late' } },
      {
        take: async () => true,
        complete: async () => {
          reached();
          await held.wait;
        },
      },
    );
    await completing;
    const stopping = worker.stop();
    held.release();
    const { id } = await publishing;
    await stopping;
    const late = await deliveryOf(id);
    assert.ok(
      late.status === 'succeeded' || (late.status === 'pending' && late.locked_until === null),
      `delivered or given back by the time stop() returned (status ${late.status}, locked_until ${late.locked_until})`,
    );
  });

  it('a stopped worker takes nothing: the delivery waits in the queue, unleased, for the next claim', async () => {
    await endpoint('/queued');
    const { worker, publisher } = setUp();
    const messageId = await publishThrough(publisher, { n: 'while stopped' });
    const stored = await deliveryOf(messageId);
    assert.equal(stored.status, 'pending');
    assert.equal(stored.locked_until, null);
    worker.start();
    await settled(messageId, 'succeeded');
  });

  it('takes no more than an endpoint may hold; the rest are queued and delivered by claims', async () => {
    await endpoint('/busy');
    const { worker, publisher } = setUp(undefined, { endpointConcurrency: 2, pollIntervalMs: 50 });
    worker.start();
    await settled(await publishThrough(publisher, { n: 'warm-up' }), 'succeeded');
    const held = gate();
    receiver.reply = async () => {
      await held.wait;
      return 204;
    };
    const ids = await Promise.all(Array.from({ length: 10 }, (_, n) => publishThrough(publisher, { n })));
    const rows = await Promise.all(ids.map(deliveryOf));
    assert.equal(rows.filter((row) => row.locked_until !== null).length, 4, 'twice its concurrency');
    held.release();
    for (const id of ids) await settled(id, 'succeeded');
    assert.equal(receiver.at('/busy').length, 11);
    assert.ok((receiver.peak.get('/busy') ?? 0) <= 2);
  });

  it('a due retry is claimed within a poll interval while slow endpoints hold half the budget and wakes keep coming', async () => {
    for (const path of ['/slow-a', '/slow-b']) await endpoint(path);
    await endpoint('/flaky', 'order.paid');
    const slow = gate();
    receiver.reply = async (request, earlier) => {
      if (request.path.startsWith('/slow')) await slow.wait;
      return request.path === '/flaky' && earlier === 0 ? 500 : 204;
    };
    const { worker, publisher } = setUp(undefined, {
      endpointConcurrency: 1,
      maxInFlight: 3,
      pollIntervalMs: 300,
      retrySchedule: [0, 100, 60_000],
    });
    worker.start();
    for (let n = 0; n < 2; n++) {
      await publishThrough(publisher, { n }, 'order.created');
    }
    await eventually(() => (receiver.open.get('/slow-a') ?? 0) + (receiver.open.get('/slow-b') ?? 0) === 2, {
      what: 'both slow endpoints holding',
    });
    for (let n = 2; n < 4; n++) await publishThrough(publisher, { n }, 'order.created');
    const flaky = await publishThrough(publisher, { n: 'flaky' }, 'order.paid');
    await eventually(() => receiver.at('/flaky').length === 1, { what: 'the first, failing attempt' });
    // Something wakes the worker every 50 ms, so its poll wait never times out.
    const waking = setInterval(() => worker.wake(), 50);
    try {
      await settled(flaky, 'succeeded');
    } finally {
      clearInterval(waking);
    }
    assert.equal(receiver.at('/flaky').length, 2);
    assert.equal(
      receiver.at('/slow-a').length + receiver.at('/slow-b').length,
      2,
      'the slow ones still hang',
    );
  });
});
