import type { Kysely } from 'kysely';
import type { DialectName } from '../db/database.ts';
import type { Schema } from '../db/schema.ts';
import type {
  WebhookAttemptTable,
  WebhookDeliveryTable,
  WebhookEndpointSecretTable,
  WebhookEndpointTable,
  WebhookMessageTable,
} from './webhook-schema.ts';

/** A delivery a worker holds until `lease`; the lease value also identifies this claim. */
export interface ClaimedDelivery {
  readonly id: string;
  readonly message_id: string;
  readonly endpoint_id: string;
  readonly integrator_id: string;
  readonly attempts: number;
  readonly retry_step: number;
  readonly lease: number;
}

/** What happened to a claimed delivery, committed in batches by `complete`. */
export type DeliveryResult =
  | {
      readonly kind: 'attempted';
      readonly delivery: ClaimedDelivery;
      readonly attempt: WebhookAttemptTable;
      readonly outcome: 'succeeded' | 'failed' | { readonly retryAt: number };
    }
  /** Not attempted and not to be: its endpoint or integrator is disabled, or its body unreadable. */
  | { readonly kind: 'skipped'; readonly delivery: ClaimedDelivery; readonly reason: string }
  /** Given back untouched (the worker is stopping): due again at once, for any worker. */
  | { readonly kind: 'released'; readonly delivery: ClaimedDelivery };

export type EndpointForDelivery = Pick<
  WebhookEndpointTable,
  | 'id'
  | 'integrator_id'
  | 'environment'
  | 'url'
  | 'enabled'
  | 'signing_scheme'
  | 'signature_header'
  | 'failing_since'
> & { integrator_status: string };

export type SecretForDelivery = Pick<
  WebhookEndpointSecretTable,
  'id' | 'endpoint_id' | 'kind' | 'secret_sealed' | 'created_at'
>;

const CHUNK = 500;

/**
 * The durable delivery queue (W3) in the database. Claims lease rows instead of deleting them, so a
 * worker that dies mid-delivery leaves rows that become due again when the lease ends (at-least-once).
 * On PostgreSQL claims use `FOR UPDATE SKIP LOCKED`, so workers on many instances share the queue
 * without waiting for each other; on SQLite one process owns the file and its connection serialises
 * every transaction. Results are written in batches (group commit), never one transaction per message.
 */
export class DeliveryQueue {
  readonly #db: Kysely<Schema>;
  readonly #dialect: DialectName;

  constructor(db: Kysely<Schema>, dialect: DialectName) {
    this.#db = db;
    this.#dialect = dialect;
  }

  /** Inserts messages and their deliveries inside the caller's transaction. */
  async enqueue(
    trx: Kysely<Schema>,
    messages: readonly WebhookMessageTable[],
    deliveries: readonly WebhookDeliveryTable[],
  ): Promise<void> {
    for (const chunk of chunks(messages, CHUNK))
      await trx.insertInto('webhook_messages').values(chunk).execute();
    for (const chunk of chunks(deliveries, CHUNK))
      await trx.insertInto('webhook_deliveries').values(chunk).execute();
  }

  /**
   * Leases up to `limit` due deliveries, oldest due first, skipping endpoints in `exclude` and taking
   * no more for an endpoint than `capacityOf` allows.
   */
  async claim(options: {
    now: number;
    limit: number;
    leaseMs: number;
    exclude: ReadonlySet<string>;
    capacityOf: (endpointId: string) => number;
    /** Told what the claim saw but did not take: endpoints whose due deliveries it left for lack of capacity, and whether it stopped at `limit`. */
    onLeftBehind?: (endpointIds: ReadonlySet<string>, truncated: boolean) => void;
  }): Promise<ClaimedDelivery[]> {
    const { now, limit, leaseMs, exclude, capacityOf, onLeftBehind } = options;
    return this.#db.transaction().execute(async (trx) => {
      let query = trx
        .selectFrom('webhook_deliveries')
        .select(['id', 'message_id', 'endpoint_id', 'integrator_id', 'attempts', 'retry_step'])
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .orderBy('next_attempt_at')
        .limit(limit);
      if (exclude.size > 0) query = query.where('endpoint_id', 'not in', [...exclude]);
      if (this.#dialect === 'postgres') query = query.forUpdate().skipLocked();
      const candidates = await query.execute();
      const taken = new Map<string, number>();
      const leftBehind = new Set<string>();
      const picked = candidates.filter((candidate) => {
        const used = taken.get(candidate.endpoint_id) ?? 0;
        if (used >= capacityOf(candidate.endpoint_id)) {
          leftBehind.add(candidate.endpoint_id);
          return false;
        }
        taken.set(candidate.endpoint_id, used + 1);
        return true;
      });
      onLeftBehind?.(leftBehind, candidates.length >= limit);
      const lease = now + leaseMs;
      for (const chunk of chunks(picked, CHUNK)) {
        await trx
          .updateTable('webhook_deliveries')
          .set({ locked_until: lease, next_attempt_at: lease })
          .where(
            'id',
            'in',
            chunk.map((delivery) => delivery.id),
          )
          .execute();
      }
      return picked.map((delivery) => ({ ...delivery, lease }));
    });
  }

  async loadMessages(ids: readonly string[]): Promise<Map<string, WebhookMessageTable>> {
    const rows: WebhookMessageTable[] = [];
    for (const chunk of chunks(unique(ids), CHUNK)) {
      rows.push(
        ...(await this.#db.selectFrom('webhook_messages').selectAll().where('id', 'in', chunk).execute()),
      );
    }
    return new Map(rows.map((row) => [row.id, row]));
  }

  /** Endpoints (with their integrator's status) and their secrets that sign at `now`. */
  async loadEndpoints(
    ids: readonly string[],
    now: number,
  ): Promise<{ endpoints: Map<string, EndpointForDelivery>; secrets: SecretForDelivery[] }> {
    const endpoints = new Map<string, EndpointForDelivery>();
    const secrets: SecretForDelivery[] = [];
    for (const chunk of chunks(unique(ids), CHUNK)) {
      const rows = await this.#db
        .selectFrom('webhook_endpoints as e')
        .innerJoin('integrators as i', 'i.id', 'e.integrator_id')
        .select([
          'e.id',
          'e.integrator_id',
          'e.environment',
          'e.url',
          'e.enabled',
          'e.signing_scheme',
          'e.signature_header',
          'e.failing_since',
          'i.status as integrator_status',
        ])
        .where('e.id', 'in', chunk)
        .execute();
      for (const row of rows) endpoints.set(row.id, row);
      secrets.push(
        ...(await this.#db
          .selectFrom('webhook_endpoint_secrets')
          .select(['id', 'endpoint_id', 'kind', 'secret_sealed', 'created_at'])
          .where('endpoint_id', 'in', chunk)
          .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
          .execute()),
      );
    }
    return { endpoints, secrets };
  }

  /**
   * Commits a batch of results in one transaction. Each update is guarded by the claim's lease, so a
   * worker whose lease ran out (and whose delivery another worker claimed since) changes nothing but
   * still records its attempt.
   */
  async complete(results: readonly DeliveryResult[], now = Date.now()): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const attempts = results.flatMap((result) => (result.kind === 'attempted' ? [result.attempt] : []));
      for (const chunk of chunks(attempts, CHUNK))
        await trx.insertInto('webhook_attempts').values(chunk).execute();

      const grouped = new Map<string, { ids: string[]; apply: (ids: string[]) => Promise<unknown> }>();
      const group = (key: string, id: string, apply: (ids: string[]) => Promise<unknown>) => {
        const entry = grouped.get(key);
        if (entry) entry.ids.push(id);
        else grouped.set(key, { ids: [id], apply });
      };
      const failingEndpoints = new Set<string>();
      const succeededEndpoints = new Set<string>();

      for (const result of results) {
        const { delivery } = result;
        const guard = trx.updateTable('webhook_deliveries').where('locked_until', '=', delivery.lease);
        if (result.kind === 'released') {
          group(`released:${delivery.lease}`, delivery.id, (ids) =>
            guard
              .set({ locked_until: null, next_attempt_at: now, updated_at: now })
              .where('id', 'in', ids)
              .execute(),
          );
        } else if (result.kind === 'skipped') {
          group(`skipped:${delivery.lease}:${result.reason}`, delivery.id, (ids) =>
            guard
              .set({ status: 'failed', locked_until: null, last_error: result.reason, updated_at: now })
              .where('id', 'in', ids)
              .execute(),
          );
        } else {
          const { attempt, outcome } = result;
          const recorded = {
            locked_until: null,
            last_attempt_at: attempt.started_at,
            last_status_code: attempt.status_code,
            last_error: attempt.error,
            updated_at: now,
          };
          if (outcome === 'succeeded') {
            succeededEndpoints.add(delivery.endpoint_id);
            group(`succeeded:${delivery.lease}:${attempt.status_code}`, delivery.id, (ids) =>
              guard
                .set((eb) => ({
                  ...recorded,
                  last_attempt_at: now,
                  status: 'succeeded',
                  attempts: eb('attempts', '+', 1),
                }))
                .where('id', 'in', ids)
                .execute(),
            );
          } else {
            failingEndpoints.add(delivery.endpoint_id);
            const next =
              outcome === 'failed'
                ? { status: 'failed' }
                : { next_attempt_at: outcome.retryAt, retry_step: delivery.retry_step + 1 };
            await guard
              .set((eb) => ({ ...recorded, ...next, attempts: eb('attempts', '+', 1) }))
              .where('id', '=', delivery.id)
              .execute();
          }
        }
      }
      for (const { ids, apply } of grouped.values()) {
        for (const chunk of chunks(ids, CHUNK)) await apply(chunk);
      }
      if (failingEndpoints.size > 0) {
        await trx
          .updateTable('webhook_endpoints')
          .set({ failing_since: now })
          .where('id', 'in', [...failingEndpoints])
          .where('failing_since', 'is', null)
          .execute();
      }
      if (succeededEndpoints.size > 0) {
        await trx
          .updateTable('webhook_endpoints')
          .set({ failing_since: null })
          .where('id', 'in', [...succeededEndpoints])
          .where('failing_since', 'is not', null)
          .execute();
      }
    });
  }

  /** Deliveries waiting or in flight (`gatehouse_webhook_queue_depth`). */
  async depth(): Promise<number> {
    const row = await this.#db
      .selectFrom('webhook_deliveries')
      .select(({ fn }) => fn.countAll<number | string>().as('depth'))
      .where('status', '=', 'pending')
      .executeTakeFirstOrThrow();
    return Number(row.depth);
  }

  /**
   * Makes every leased delivery due at once. Only for SQLite at start: one process owns the file, so
   * any lease found then belongs to a process that is gone (crashed), and waiting it out helps nobody.
   */
  async releaseAbandonedLeases(now: number): Promise<number> {
    const result = await this.#db
      .updateTable('webhook_deliveries')
      .set({ locked_until: null, next_attempt_at: now })
      .where('status', '=', 'pending')
      .where('locked_until', 'is not', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Queues a message again for its endpoints (or one of them) that are enabled; returns how many. */
  async requeueMessage(
    messageId: string,
    endpointId: string | undefined,
    now: number,
    trx: Kysely<Schema> = this.#db,
  ): Promise<number> {
    let query = trx
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', retry_step: 0, next_attempt_at: now, locked_until: null, updated_at: now })
      .where('message_id', '=', messageId)
      .where('status', '!=', 'pending')
      .where('endpoint_id', 'in', (eb) =>
        eb.selectFrom('webhook_endpoints').select('id').where('enabled', '=', 1),
      );
    if (endpointId !== undefined) query = query.where('endpoint_id', '=', endpointId);
    return Number((await query.executeTakeFirst()).numUpdatedRows);
  }

  /** Queues every failed delivery of an endpoint created at or after `since` again. */
  async requeueFailed(
    endpointId: string,
    since: number,
    now: number,
    trx: Kysely<Schema> = this.#db,
  ): Promise<number> {
    const result = await trx
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', retry_step: 0, next_attempt_at: now, locked_until: null, updated_at: now })
      .where('endpoint_id', '=', endpointId)
      .where('status', '=', 'failed')
      .where('created_at', '>=', since)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function unique(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}
