import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';

/**
 * Alerts older than a retention cutoff (P2), judged by `last_seen` whatever their status: an alert
 * nobody has seen for the whole period is history, and if its rule fires again a new alert opens.
 * Finished sink messages (the outbox) older than the cutoff go too; one still pending stays.
 */
export class AlertPurge {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  /** How many alerts and finished sink messages are older than `cutoff`. */
  async count(cutoff: number): Promise<Record<string, number>> {
    const db = this.#db;
    const [alerts, deliveries] = await Promise.all([
      db
        .selectFrom('alerts')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('last_seen', '<', cutoff)
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('alert_deliveries')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('created_at', '<', cutoff)
        .where('status', '<>', 'pending')
        .executeTakeFirstOrThrow(),
    ]);
    return { alerts: Number(alerts.n), alert_deliveries: Number(deliveries.n) };
  }

  /** Deletes at most `batchSize` alerts and as many finished sink messages older than `cutoff`. */
  async purgeBatch(cutoff: number, batchSize: number): Promise<Record<string, number>> {
    const db = this.#db;
    const alerts = await db
      .deleteFrom('alerts')
      .where(
        'id',
        'in',
        db.selectFrom('alerts').select('id').where('last_seen', '<', cutoff).limit(batchSize),
      )
      // Raised again since the subquery read it: it stays.
      .where('last_seen', '<', cutoff)
      .executeTakeFirst();
    const deliveries = await db
      .deleteFrom('alert_deliveries')
      .where(
        'id',
        'in',
        db
          .selectFrom('alert_deliveries')
          .select('id')
          .where('created_at', '<', cutoff)
          .where('status', '<>', 'pending')
          .limit(batchSize),
      )
      .where('status', '<>', 'pending')
      .executeTakeFirst();
    return { alerts: Number(alerts.numDeletedRows), alert_deliveries: Number(deliveries.numDeletedRows) };
  }
}
