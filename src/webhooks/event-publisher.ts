import type { Kysely } from 'kysely';
import type { IdempotencyClaim } from '../audit/audit-context.ts';
import { IdempotencyKeyTaken } from '../audit/change-transaction.ts';
import type { Envelope } from '../crypto/envelope.ts';
import type { Schema } from '../db/schema.ts';
import { uuid7 } from '../db/uuid7.ts';
import type { Environment } from '../environments/environment.ts';
import { ApiError, invalidRequest } from '../http/api-error.ts';
import type { OpenMessage } from './delivery-preparer.ts';
import type { ClaimedDelivery, DeliveryQueue } from './delivery-queue.ts';
import type { DeliveryWorker } from './delivery-worker.ts';
import { subscribersOf } from './endpoint-store.ts';
import type { EventCatalog } from './event-catalog.ts';
import { GroupCommit } from './group-commit.ts';
import { payloadContext } from './webhook-message.ts';
import type { WebhookDeliveryTable, WebhookMessageTable } from './webhook-schema.ts';

export interface PublishInput {
  type: string;
  integrator_id: string;
  environment: Environment;
  data: unknown;
}

/** What the publish API returns: the message and how many endpoints it was queued for. */
export interface PublishedEvent {
  id: string;
  type: string;
  integrator_id: string;
  environment: Environment;
  created_at: string;
  deliveries: number;
}

/** This instance's delivery worker, which takes what it has room for straight from the publish. */
export type DirectDispatch = Pick<DeliveryWorker, 'reserve' | 'dispatch' | 'cancel' | 'remember'>;

interface PendingPublish {
  message: WebhookMessageTable;
  body: Buffer;
  firstDelayMs: number;
  claim: IdempotencyClaim | undefined;
}

type PublishOutcome = PublishedEvent | ApiError | IdempotencyKeyTaken;

/**
 * The publish API's engine (W1, K0): validates an event against its type's schema, seals its body and
 * stores it with one delivery per subscribed, enabled endpoint of that integrator and environment,
 * and nobody else's. Concurrent publishes share transactions (group commit); each call resolves only
 * once its event is committed, so an acknowledged event survives a crash. Deliveries due at once that
 * the local worker has room for are stored leased to it and handed over with the body (`DirectDispatch`);
 * the rest wait in the queue and the worker is woken.
 */
export class EventPublisher {
  readonly #db: Kysely<Schema>;
  readonly #catalog: EventCatalog;
  readonly #envelope: Envelope;
  readonly #queue: DeliveryQueue;
  readonly #firstDelayMs: number;
  readonly #onPublished: (endpointIds: ReadonlySet<string>) => void;
  readonly #dispatch: DirectDispatch | undefined;
  readonly #commits: GroupCommit<PendingPublish, PublishOutcome>;

  constructor(deps: {
    db: Kysely<Schema>;
    catalog: EventCatalog;
    envelope: Envelope;
    queue: DeliveryQueue;
    firstDelayMs: number;
    /** Deliveries were queued (not dispatched directly) for these endpoints. */
    onPublished: (endpointIds: ReadonlySet<string>) => void;
    dispatch?: DirectDispatch;
  }) {
    this.#db = deps.db;
    this.#catalog = deps.catalog;
    this.#envelope = deps.envelope;
    this.#queue = deps.queue;
    this.#firstDelayMs = deps.firstDelayMs;
    this.#onPublished = deps.onPublished;
    this.#dispatch = deps.dispatch;
    this.#commits = new GroupCommit((batch) => this.#commit(batch));
  }

  /**
   * Publishes one event; with an idempotency claim, the key is taken and the response stored in the
   * transaction that commits the event.
   */
  async publish(input: PublishInput, claim?: IdempotencyClaim): Promise<PublishedEvent> {
    await this.#catalog.assertValidEvent(input.type, input.data);
    const now = Date.now();
    const id = uuid7(now);
    const body = Buffer.from(
      JSON.stringify({ type: input.type, timestamp: new Date(now).toISOString(), data: input.data }),
    );
    const message: WebhookMessageTable = {
      id,
      integrator_id: input.integrator_id,
      environment: input.environment,
      event_type: input.type,
      payload_sealed: this.#envelope.seal(body, payloadContext(id)),
      created_at: now,
    };
    const outcome = await this.#commits.submit({ message, body, firstDelayMs: this.#firstDelayMs, claim });
    if (outcome instanceof Error) throw outcome;
    return outcome;
  }

  async #commit(batch: PendingPublish[]): Promise<PublishOutcome[]> {
    const direct: ClaimedDelivery[] = [];
    const open = new Map<string, OpenMessage>();
    const queuedMessages = new Map<string, OpenMessage>();
    const queued = new Set<string>();
    let results: PublishOutcome[];
    try {
      results = await this.#store(batch, (delivery, message, body) => {
        const lease = this.#dispatch?.reserve(delivery.endpoint_id, Date.now()) ?? null;
        const { payload_sealed: _sealed, ...fields } = message;
        if (lease === null) {
          queued.add(delivery.endpoint_id);
          queuedMessages.set(message.id, { ...fields, body });
          return;
        }
        delivery.locked_until = lease;
        delivery.next_attempt_at = lease;
        const { id, message_id, endpoint_id, integrator_id } = delivery;
        direct.push({ id, message_id, endpoint_id, integrator_id, attempts: 0, retry_step: 0, lease });
        open.set(message.id, { ...fields, body });
      });
    } catch (error) {
      this.#dispatch?.cancel(direct.map((delivery) => delivery.endpoint_id));
      throw error;
    }
    this.#dispatch?.dispatch(direct, open);
    if (queued.size > 0) {
      this.#dispatch?.remember(queuedMessages.values());
      this.#onPublished(queued);
    }
    return results;
  }

  /**
   * Stores a batch in one transaction; `route` sees each delivery due at once before it is written
   * and may lease it to the local worker.
   */
  #store(
    batch: PendingPublish[],
    route: (delivery: WebhookDeliveryTable, message: WebhookMessageTable, body: Buffer) => void,
  ): Promise<PublishOutcome[]> {
    return this.#db.transaction().execute(async (trx) => {
      const integrators = new Map<string, string | undefined>();
      const subscribers = new Map<string, { id: string; types: Set<string> }[]>();
      const messages: WebhookMessageTable[] = [];
      const deliveries: WebhookDeliveryTable[] = [];
      const results: PublishOutcome[] = [];
      for (const { message, body, firstDelayMs, claim } of batch) {
        if (!integrators.has(message.integrator_id)) {
          const row = await trx
            .selectFrom('integrators')
            .select('status')
            .where('id', '=', message.integrator_id)
            .executeTakeFirst();
          integrators.set(message.integrator_id, row?.status);
        }
        const status = integrators.get(message.integrator_id);
        if (status === undefined) {
          results.push(invalidRequest([{ field: '/integrator_id', message: 'no integrator has this id' }]));
          continue;
        }
        if (status !== 'active') {
          results.push(new ApiError('integrator_disabled', 'The integrator is disabled'));
          continue;
        }
        const key = `${message.integrator_id}\n${message.environment}`;
        let endpoints = subscribers.get(key);
        if (!endpoints) {
          endpoints = await subscribersOf(trx, message.integrator_id, message.environment);
          subscribers.set(key, endpoints);
        }
        if (claim && !(await claim.take(trx))) {
          results.push(new IdempotencyKeyTaken());
          continue;
        }
        messages.push(message);
        let count = 0;
        for (const endpoint of endpoints) {
          if (!endpoint.types.has(message.event_type)) continue;
          count++;
          const delivery: WebhookDeliveryTable = {
            id: uuid7(message.created_at),
            message_id: message.id,
            endpoint_id: endpoint.id,
            integrator_id: message.integrator_id,
            status: 'pending',
            attempts: 0,
            retry_step: 0,
            next_attempt_at: message.created_at + firstDelayMs,
            locked_until: null,
            last_attempt_at: null,
            last_status_code: null,
            last_error: null,
            created_at: message.created_at,
            updated_at: message.created_at,
          };
          if (firstDelayMs === 0) route(delivery, message, body);
          deliveries.push(delivery);
        }
        const published: PublishedEvent = {
          id: message.id,
          type: message.event_type,
          integrator_id: message.integrator_id,
          environment: message.environment as Environment,
          created_at: new Date(message.created_at).toISOString(),
          deliveries: count,
        };
        await claim?.complete(trx, published);
        results.push(published);
      }
      await this.#queue.enqueue(trx, messages, deliveries);
      return results;
    });
  }
}
