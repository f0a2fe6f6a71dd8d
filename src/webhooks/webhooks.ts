import type { FastifyInstance } from 'fastify';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Envelope } from '../crypto/envelope.ts';
import type { Database } from '../db/database.ts';
import type { Logger } from '../log/logger.ts';
import type { SecurityEvents } from '../monitor/security-events.ts';
import { createDeliveryAgent } from './delivery-agent.ts';
import { DeliveryQueue } from './delivery-queue.ts';
import { registerDeliveryRoutes } from './delivery-routes.ts';
import { DeliveryWorker } from './delivery-worker.ts';
import { registerEndpointRoutes } from './endpoint-routes.ts';
import { EndpointService } from './endpoint-service.ts';
import type { ResolveAll } from './endpoint-url.ts';
import { EventCatalog } from './event-catalog.ts';
import { EventPublisher } from './event-publisher.ts';
import { registerEventTypeRoutes } from './event-type-routes.ts';
import type { WebhookConfig } from './webhook-config.ts';
import { WebhookOperations } from './webhook-operations.ts';

/** Everything webhooks: the catalog, endpoints, the publish API, the delivery log and the worker. */
export interface Webhooks {
  readonly catalog: EventCatalog;
  readonly endpoints: EndpointService;
  readonly publisher: EventPublisher;
  readonly operations: WebhookOperations;
  readonly worker: DeliveryWorker;
  /** Deliveries waiting or in flight. */
  queueDepth(): Promise<number>;
  /** Stops the worker (committing what it did) and closes its connections. */
  close(): Promise<void>;
}

export interface WebhookDeps {
  readonly config: WebhookConfig;
  readonly database: Database;
  readonly audit: AuditLog;
  readonly envelope: Envelope;
  readonly securityEvents: SecurityEvents;
  readonly logger: Logger;
  /** Replaces the system resolver (tests). */
  readonly resolve?: ResolveAll;
}

export function createWebhooks(deps: WebhookDeps): Webhooks {
  const { config, database, audit, envelope, securityEvents, logger } = deps;
  const { db, dialect } = database;
  const resolve = deps.resolve ? { resolve: deps.resolve } : {};
  const queue = new DeliveryQueue(db, dialect);
  const catalog = new EventCatalog({ db, audit });
  const endpoints = new EndpointService({
    db,
    audit,
    envelope,
    catalog,
    securityEvents,
    allowPrivateAddresses: config.allowPrivateAddresses,
    ...resolve,
  });
  const dispatcher = createDeliveryAgent({
    allowPrivate: config.allowPrivateAddresses,
    extraCa: config.extraCa,
    connectTimeoutMs: Math.min(config.timeoutMs, 10_000),
    ...resolve,
  });
  const worker = new DeliveryWorker({
    queue,
    envelope,
    dispatcher,
    config,
    dialect,
    logger,
    disableEndpoint: (id, reason, details) => endpoints.disableForDelivery(id, reason, details),
  });
  const wake = () => worker.wake();
  return {
    catalog,
    endpoints,
    publisher: new EventPublisher({
      db,
      catalog,
      envelope,
      queue,
      firstDelayMs: config.retrySchedule[0] ?? 0,
      onPublished: (endpointIds) => worker.wakeFor(endpointIds),
      dispatch: worker,
    }),
    operations: new WebhookOperations({ db, audit, envelope, queue, wake }),
    worker,
    queueDepth: () => queue.depth(),
    async close() {
      await worker.stop();
      await dispatcher.close();
    },
  };
}

/** The webhook routes of the admin API. */
export function registerWebhookRoutes(app: FastifyInstance, { webhooks }: { webhooks: Webhooks }): void {
  registerEventTypeRoutes(app, webhooks.catalog);
  registerEndpointRoutes(app, webhooks.endpoints, webhooks.operations);
  registerDeliveryRoutes(app, webhooks.publisher, webhooks.operations);
}
