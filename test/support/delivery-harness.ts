import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import type { AuditContext } from '../../src/audit/audit-log.ts';
import { createLogger } from '../../src/log/logger.ts';
import { loadConfig } from '../../src/server/config.ts';
import { createServices, type Services } from '../../src/server/services.ts';
import { DeliveryQueue } from '../../src/webhooks/delivery-queue.ts';
import { DeliveryWorker, type DeliveryWorkerDeps } from '../../src/webhooks/delivery-worker.ts';
import type { WebhookConfig } from '../../src/webhooks/webhook-config.ts';
import { logFile, recordSecret } from './artifacts.ts';
import { eventually } from './eventually.ts';
import { gates, RecordingReceiver } from './recording-receiver.ts';

export const harnessContext: AuditContext = {
  actor: { type: 'admin_token', id: 'test-token', name: 'delivery suite' },
};

/**
 * The delivery engine's real parts in one process, for the worker's tests: a migrated SQLite file
 * with one integrator and the event types `order.created` and `order.paid`, a plain-HTTP
 * `RecordingReceiver`, and an undici Agent whose connector opens plain TCP to it. Endpoint URLs must
 * be https:// (the preparer refuses anything else), hence the connector; TLS and the SSRF guard are
 * delivery-agent.test.ts's.
 */
export interface DeliveryHarness {
  readonly services: Services;
  readonly receiver: RecordingReceiver;
  /** `https://127.0.0.1:<port>` of the receiver. */
  readonly origin: string;
  readonly agent: Agent;
  readonly integrator: string;
  /** Every worker `newWorker` made: stopped by `close`. */
  readonly workers: DeliveryWorker[];
  /** A worker (not started) with the test settings, `config` overriding them. */
  newWorker(
    config?: Partial<WebhookConfig>,
    deps?: Partial<Pick<DeliveryWorkerDeps, 'queue' | 'disableEndpoint'>>,
  ): DeliveryWorker;
  deliveryOf(messageId: string): ReturnType<typeof selectDelivery>;
  /** Waits until the delivery of a message has this status. */
  settled(messageId: string, status: 'succeeded' | 'failed'): Promise<unknown>;
  close(): Promise<void>;
}

function selectDelivery(services: Services, messageId: string) {
  return services.database.db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('message_id', '=', messageId)
    .executeTakeFirstOrThrow();
}

export async function openDeliveryHarness(label: string): Promise<DeliveryHarness> {
  const dataDir = mkdtempSync(join(tmpdir(), `gatehouse-${label}-`));
  const config = loadConfig({
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_PEPPER: recordSecret(randomBytes(32).toString('base64url')),
    GATEHOUSE_ENCRYPTION_KEYS: `1:${recordSecret(randomBytes(32).toString('base64'))}`,
    GATEHOUSE_WEBHOOK_ALLOW_PRIVATE: '1',
  });
  const services = await createServices(
    config,
    createLogger({ level: 'debug', destination: logFile(label) }),
  );
  const integrator = (await services.integrators.create({ name: 'Acme' }, harnessContext)).id;
  for (const name of ['order.created', 'order.paid'])
    await services.webhooks.catalog.create({ name, schema: { type: 'object' } }, harnessContext);
  const receiver = new RecordingReceiver();
  await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
  const origin = `https://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`;
  const agent = new Agent({
    connect: (options, callback) => {
      const socket = connect({ host: options.hostname, port: Number(options.port) });
      socket.once('connect', () => callback(null, socket));
      socket.once('error', (error) => callback(error, null));
    },
  });
  const workers: DeliveryWorker[] = [];
  const { db, dialect } = services.database;
  const deliveryOf = (messageId: string) => selectDelivery(services, messageId);
  return {
    services,
    receiver,
    origin,
    agent,
    integrator,
    workers,
    newWorker(overrides = {}, deps = {}) {
      const worker = new DeliveryWorker({
        queue: deps.queue ?? new DeliveryQueue(db, dialect),
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
          pollIntervalMs: 50,
          ...overrides,
        },
        dialect,
        logger: services.logger,
        disableEndpoint: deps.disableEndpoint ?? (async () => {}),
      });
      workers.push(worker);
      return worker;
    },
    deliveryOf,
    settled: (messageId, status) =>
      eventually(async () => (await deliveryOf(messageId)).status === status, {
        what: `delivery of ${messageId} ${status}`,
      }),
    async close() {
      for (const release of gates.splice(0)) release();
      for (const worker of workers) await worker.stop();
      await agent.close();
      receiver.server.closeAllConnections();
      await new Promise((resolve) => receiver.server.close(resolve));
      await services.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
