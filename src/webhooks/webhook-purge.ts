import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';

/**
 * Webhook payloads older than a retention cutoff (P2): a message goes with its deliveries and their
 * attempts once every delivery of it has finished (succeeded or failed). A message with a delivery
 * still pending, waiting or leased by a worker, stays whatever its age: at-least-once (W3) wins.
 * A purged message can no longer be replayed.
 */
export class WebhookPurge {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  /** How many messages, deliveries and attempts a purge with `cutoff` would remove now. */
  async count(cutoff: number): Promise<Record<string, number>> {
    const db = this.#db;
    const messages = this.#purgeable(db, cutoff);
    const [message, delivery, attempt] = await Promise.all([
      db
        .selectFrom('webhook_messages')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('id', 'in', messages)
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('webhook_deliveries')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('message_id', 'in', messages)
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('webhook_attempts')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('message_id', 'in', messages)
        .executeTakeFirstOrThrow(),
    ]);
    return {
      webhook_messages: Number(message.n),
      webhook_deliveries: Number(delivery.n),
      webhook_attempts: Number(attempt.n),
    };
  }

  /** Removes at most `batchSize` messages, with their deliveries and attempts, in one transaction. */
  purgeBatch(cutoff: number, batchSize: number): Promise<Record<string, number>> {
    return this.#db.transaction().execute(async (trx) => {
      const ids = (await this.#purgeable(trx, cutoff).limit(batchSize).execute()).map((row) => row.id);
      if (ids.length === 0) return { webhook_messages: 0, webhook_deliveries: 0, webhook_attempts: 0 };
      // Every statement re-checks "finished": a replay may have made a delivery pending meanwhile,
      // and then its message, deliveries and attempts all stay.
      const attempts = await trx
        .deleteFrom('webhook_attempts')
        .where(
          'delivery_id',
          'in',
          trx
            .selectFrom('webhook_deliveries')
            .select('id')
            .where('message_id', 'in', ids)
            .where('status', '<>', 'pending'),
        )
        .executeTakeFirst();
      const deliveries = await trx
        .deleteFrom('webhook_deliveries')
        .where('message_id', 'in', ids)
        .where('status', '<>', 'pending')
        .executeTakeFirst();
      const messages = await trx
        .deleteFrom('webhook_messages')
        .where('id', 'in', ids)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('webhook_deliveries')
                .select('webhook_deliveries.id')
                .whereRef('webhook_deliveries.message_id', '=', 'webhook_messages.id'),
            ),
          ),
        )
        .executeTakeFirst();
      return {
        webhook_messages: Number(messages.numDeletedRows),
        webhook_deliveries: Number(deliveries.numDeletedRows),
        webhook_attempts: Number(attempts.numDeletedRows),
      };
    });
  }

  /** Ids of messages older than `cutoff` none of whose deliveries is pending. */
  #purgeable(db: Kysely<Schema>, cutoff: number) {
    return db
      .selectFrom('webhook_messages as m')
      .select('m.id')
      .where('m.created_at', '<', cutoff)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('webhook_deliveries as d')
              .select('d.id')
              .whereRef('d.message_id', '=', 'm.id')
              .where('d.status', '=', 'pending'),
          ),
        ),
      );
  }
}
