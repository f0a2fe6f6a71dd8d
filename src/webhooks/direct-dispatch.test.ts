import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Agent } from 'undici';
import { logFile, recordSecret } from '../../test/support/artifacts.ts';
import { eventually } from '../../test/support/eventually.ts';
import { gate, gates, RecordingReceiver } from '../../test/support/recording-receiver.ts';
import type { AuditContext } from '../audit/audit-log.ts';
import { createLogger } from '../log/logger.ts';
import { loadConfig } from '../server/config.ts';
import { createServices, type Services } from '../server/services.ts';
import { DeliveryQueue } from './delivery-queue.ts';
import { DeliveryWorker } from './delivery-worker.ts';
import { EventPublisher } from './event-publisher.ts';
import type { WebhookConfig } from './webhook-config.ts';

/**
 * Direct dispatch (publishes handing deliveries straight to the local worker), alone and racing the
 * worker's own claims and its stop(), with the same real parts as delivery-worker.test.ts (SQLite,
 * the durable queue, an undici Agent to a plain HTTP receiver).
 */
const context: AuditContext = { actor: { type: 'admin_token', id: 'test-token', name: 'race suite' } };

describe('direct dispatch', () => {
  let dataDir: string;
  let services: Services;
  let receiver: RecordingReceiver;
  let origin: string;
  let agent: Agent;
  let workers: DeliveryWorker[];
  let integrator: string;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-direct-races-'));
    const config = loadConfig({
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_PEPPER: recordSecret(randomBytes(32).toString('base64url')),
      GATEHOUSE_ENCRYPTION_KEYS: `1:${recordSecret(randomBytes(32).toString('base64'))}`,
      GATEHOUSE_WEBHOOK_ALLOW_PRIVATE: '1',
    });
    services = await createServices(config, createLogger({ level: 'debug', destination: logFile('races') }));
    integrator = (await services.integrators.create({ name: 'Acme' }, context)).id;
    for (const name of ['order.created', 'order.paid'])
      await services.webhooks.catalog.create({ name, schema: { type: 'object' } }, context);
    receiver = new RecordingReceiver();
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    origin = `https://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`;
    agent = new Agent({
      connect: (options, callback) => {
        const socket = connect({ host: options.hostname, port: Number(options.port) });
        socket.once('connect', () => callback(null, socket));
        socket.once('error', (error) => callback(error, null));
      },
    });
    workers = [];
  });

  afterEach(async () => {
    for (const release of gates.splice(0)) release();
    for (const worker of workers) await worker.stop();
    await agent.close();
    receiver.server.closeAllConnections();
    await new Promise((resolve) => receiver.server.close(resolve));
    await services.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A worker (polling once a minute) on `queue`, and a publisher dispatching to it and waking it. */
  const setUp = (queue?: DeliveryQueue, overrides: Partial<WebhookConfig> = {}) => {
    const { db, dialect } = services.database;
    const worker = new DeliveryWorker({
      queue: queue ?? new DeliveryQueue(db, dialect),
      envelope: services.envelope,
      dispatcher: agent,
      config: {
        allowPrivateAddresses: true,
        extraCa: null,
        retrySchedule: [0, 60_000],
        timeoutMs: 30_000,
        disableAfterMs: 86_400_000,
        endpointConcurrency: 10,
        maxInFlight: 100,
        pollIntervalMs: 60_000,
        ...overrides,
      },
      dialect,
      logger: services.logger,
      disableEndpoint: async () => {},
    });
    workers.push(worker);
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
  const deliveryOf = (messageId: string) =>
    services.database.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('message_id', '=', messageId)
      .executeTakeFirstOrThrow();
  const settled = (messageId: string, status: 'succeeded' | 'failed') =>
    eventually(async () => (await deliveryOf(messageId)).status === status, {
      what: `delivery of ${messageId} ${status}`,
    });
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
