import type { Kysely } from 'kysely';
import type { AuditContext, AuditLog } from '../audit/audit-log.ts';
import { changeTransaction } from '../audit/change-transaction.ts';
import type { Envelope } from '../crypto/envelope.ts';
import type { Schema } from '../db/schema.ts';
import type { Environment } from '../environments/environment.ts';
import { ApiError, notFound } from '../http/api-error.ts';
import { decodeCursor, type Page, pageOf } from '../http/pagination.ts';
import type { DeliveryQueue } from './delivery-queue.ts';
import {
  attemptContext,
  payloadContext,
  toWebhookAttempt,
  toWebhookDelivery,
  toWebhookMessage,
  type WebhookAttempt,
  type WebhookDelivery,
  type WebhookMessage,
} from './webhook-message.ts';

export interface MessageFilter {
  integratorId?: string | undefined;
  environment?: Environment | undefined;
  type?: string | undefined;
}

export interface DeliveryFilter {
  messageId?: string | undefined;
  endpointId?: string | undefined;
  integratorId?: string | undefined;
  status?: 'pending' | 'succeeded' | 'failed' | undefined;
}

/**
 * What operators do with the delivery log: list messages, deliveries and attempts (newest first),
 * and replay one message or every failed delivery of an endpoint since a time (W3).
 */
export class WebhookOperations {
  readonly #db: Kysely<Schema>;
  readonly #audit: AuditLog;
  readonly #envelope: Envelope;
  readonly #queue: DeliveryQueue;
  readonly #wake: () => void;

  constructor(deps: {
    db: Kysely<Schema>;
    audit: AuditLog;
    envelope: Envelope;
    queue: DeliveryQueue;
    wake: () => void;
  }) {
    this.#db = deps.db;
    this.#audit = deps.audit;
    this.#envelope = deps.envelope;
    this.#queue = deps.queue;
    this.#wake = deps.wake;
  }

  async listMessages(
    filter: MessageFilter,
    limit: number,
    cursor: string | undefined,
  ): Promise<Page<WebhookMessage>> {
    let query = this.#db
      .selectFrom('webhook_messages')
      .select(['id', 'integrator_id', 'environment', 'event_type', 'created_at'])
      .orderBy('id', 'desc')
      .limit(limit + 1);
    if (cursor !== undefined) query = query.where('id', '<', decodeCursor<string>(cursor, 'string'));
    if (filter.integratorId !== undefined) query = query.where('integrator_id', '=', filter.integratorId);
    if (filter.environment !== undefined) query = query.where('environment', '=', filter.environment);
    if (filter.type !== undefined) query = query.where('event_type', '=', filter.type);
    return pageOf(await query.execute(), limit, toWebhookMessage, (row) => row.id);
  }

  /** One message with the exact body its endpoints receive. */
  async getMessage(id: string): Promise<WebhookMessage & { payload: unknown }> {
    const row = await this.#db
      .selectFrom('webhook_messages')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw notFound('Webhook message');
    const payload: unknown = JSON.parse(this.#envelope.openText(row.payload_sealed, payloadContext(row.id)));
    return { ...toWebhookMessage(row), payload };
  }

  async listDeliveries(
    filter: DeliveryFilter,
    limit: number,
    cursor: string | undefined,
  ): Promise<Page<WebhookDelivery>> {
    let query = this.#db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(limit + 1);
    if (cursor !== undefined) query = query.where('id', '<', decodeCursor<string>(cursor, 'string'));
    if (filter.messageId !== undefined) query = query.where('message_id', '=', filter.messageId);
    if (filter.endpointId !== undefined) query = query.where('endpoint_id', '=', filter.endpointId);
    if (filter.integratorId !== undefined) query = query.where('integrator_id', '=', filter.integratorId);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    const now = Date.now();
    return pageOf(
      await query.execute(),
      limit,
      (row) => toWebhookDelivery(row, now),
      (row) => row.id,
    );
  }

  async getDelivery(id: string): Promise<WebhookDelivery> {
    const row = await this.#db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw notFound('Webhook delivery');
    return toWebhookDelivery(row);
  }

  /** Every attempt of a delivery, newest first, with the start of each response. */
  async listAttempts(
    deliveryId: string,
    limit: number,
    cursor: string | undefined,
  ): Promise<Page<WebhookAttempt>> {
    await this.getDelivery(deliveryId);
    let query = this.#db
      .selectFrom('webhook_attempts')
      .selectAll()
      .where('delivery_id', '=', deliveryId)
      .orderBy('id', 'desc')
      .limit(limit + 1);
    if (cursor !== undefined) query = query.where('id', '<', decodeCursor<string>(cursor, 'string'));
    return pageOf(
      await query.execute(),
      limit,
      (row) =>
        toWebhookAttempt(
          row,
          row.response_sealed === null
            ? null
            : this.#envelope.openText(row.response_sealed, attemptContext(row.id)),
        ),
      (row) => row.id,
    );
  }

  /** Sends a message again to its endpoints (or one of them) that are enabled; audited. */
  async replayMessage(
    id: string,
    endpointId: string | undefined,
    context: AuditContext,
  ): Promise<{ replayed: number }> {
    const replayed = await changeTransaction(this.#db, context, async (trx) => {
      const message = await trx
        .selectFrom('webhook_messages')
        .select('id')
        .where('id', '=', id)
        .executeTakeFirst();
      if (!message) throw notFound('Webhook message');
      const count = await this.#queue.requeueMessage(id, endpointId, Date.now(), trx);
      await this.#audit.append(trx, {
        ...context,
        action: 'webhook_message.replay',
        target: { type: 'webhook_message', id },
        after: { endpoint_id: endpointId ?? null, replayed: count },
      });
      return { replayed: count };
    });
    if (replayed.replayed > 0) this.#wake();
    return replayed;
  }

  /** Queues every failed delivery of an enabled endpoint since `since` again; audited. */
  async replayFailed(
    endpointId: string,
    since: number,
    context: AuditContext,
  ): Promise<{ replayed: number }> {
    const replayed = await changeTransaction(this.#db, context, async (trx) => {
      const endpoint = await trx
        .selectFrom('webhook_endpoints')
        .select(['id', 'enabled'])
        .where('id', '=', endpointId)
        .executeTakeFirst();
      if (!endpoint) throw notFound('Webhook endpoint');
      if (endpoint.enabled !== 1) {
        throw new ApiError('endpoint_disabled', 'Enable the endpoint before replaying its deliveries');
      }
      const count = await this.#queue.requeueFailed(endpointId, since, Date.now(), trx);
      await this.#audit.append(trx, {
        ...context,
        action: 'webhook_endpoint.replay',
        target: { type: 'webhook_endpoint', id: endpointId },
        after: { since: new Date(since).toISOString(), replayed: count },
      });
      return { replayed: count };
    });
    if (replayed.replayed > 0) this.#wake();
    return replayed;
  }
}
