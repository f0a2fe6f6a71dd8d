import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';

/** Idempotency records (C8) older than a retention cutoff, deleted in bounded, idempotent batches. */
export class IdempotencyPurge {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  /** How many records were created before `cutoff`. */
  async count(cutoff: number): Promise<Record<string, number>> {
    const row = await this.#db
      .selectFrom('idempotency_records')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('created_at', '<', cutoff)
      .executeTakeFirstOrThrow();
    return { idempotency_records: Number(row.n) };
  }

  /** Deletes at most `batchSize` records created before `cutoff`. */
  async purgeBatch(cutoff: number, batchSize: number): Promise<Record<string, number>> {
    const db = this.#db;
    const deleted = await db
      .deleteFrom('idempotency_records')
      .where((eb) =>
        eb(
          eb.refTuple('actor_id', 'idempotency_key'),
          'in',
          eb
            .selectFrom('idempotency_records')
            .select(['actor_id', 'idempotency_key'])
            .where('created_at', '<', cutoff)
            .limit(batchSize)
            .$asTuple('actor_id', 'idempotency_key'),
        ),
      )
      .executeTakeFirst();
    return { idempotency_records: Number(deleted.numDeletedRows) };
  }
}
