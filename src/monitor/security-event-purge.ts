import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';

/** Security events older than a retention cutoff (P2), deleted in bounded, idempotent batches. */
export class SecurityEventPurge {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  /** How many events are older than `cutoff`. */
  async count(cutoff: number): Promise<Record<string, number>> {
    const row = await this.#db
      .selectFrom('security_events')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('created_at', '<', cutoff)
      .executeTakeFirstOrThrow();
    return { security_events: Number(row.n) };
  }

  /** Deletes at most `batchSize` events older than `cutoff`. */
  async purgeBatch(cutoff: number, batchSize: number): Promise<Record<string, number>> {
    const db = this.#db;
    const deleted = await db
      .deleteFrom('security_events')
      .where(
        'id',
        'in',
        db.selectFrom('security_events').select('id').where('created_at', '<', cutoff).limit(batchSize),
      )
      .executeTakeFirst();
    return { security_events: Number(deleted.numDeletedRows) };
  }
}
