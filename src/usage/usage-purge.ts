import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';

/**
 * Usage records older than a retention cutoff (P2): per-minute counts by their minute, addresses by
 * their last use, applied batch ids by when they were applied. Each batch is one statement per
 * table, bounded by `batchSize`, and deleting what another instance already deleted is a no-op.
 */
export class UsagePurge {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  /** How many rows of each table are older than `cutoff` (for `gatehouse purge --dry-run`). */
  async count(cutoff: number): Promise<Record<string, number>> {
    const db = this.#db;
    const [minutes, ips, batches] = await Promise.all([
      db
        .selectFrom('usage_minutes')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('minute', '<', cutoff)
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('usage_ips')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('last_seen', '<', cutoff)
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('usage_batches')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('applied_at', '<', cutoff)
        .executeTakeFirstOrThrow(),
    ]);
    return {
      usage_minutes: Number(minutes.n),
      usage_ips: Number(ips.n),
      usage_batches: Number(batches.n),
    };
  }

  /** Deletes at most `batchSize` old rows of each table; zero everywhere means nothing is left. */
  async purgeBatch(cutoff: number, batchSize: number): Promise<Record<string, number>> {
    const db = this.#db;
    const minutes = await db
      .deleteFrom('usage_minutes')
      .where((eb) =>
        eb(
          eb.refTuple('credential_id', 'minute'),
          'in',
          eb
            .selectFrom('usage_minutes')
            .select(['credential_id', 'minute'])
            .where('minute', '<', cutoff)
            .limit(batchSize)
            .$asTuple('credential_id', 'minute'),
        ),
      )
      .executeTakeFirst();
    const ips = await db
      .deleteFrom('usage_ips')
      .where((eb) =>
        eb(
          eb.refTuple('credential_id', 'ip'),
          'in',
          eb
            .selectFrom('usage_ips')
            .select(['credential_id', 'ip'])
            .where('last_seen', '<', cutoff)
            .limit(batchSize)
            .$asTuple('credential_id', 'ip'),
        ),
      )
      // A concurrent flush may have used the address again since the subquery read it.
      .where('last_seen', '<', cutoff)
      .executeTakeFirst();
    const batches = await db
      .deleteFrom('usage_batches')
      .where(
        'id',
        'in',
        db.selectFrom('usage_batches').select('id').where('applied_at', '<', cutoff).limit(batchSize),
      )
      .executeTakeFirst();
    return {
      usage_minutes: Number(minutes.numDeletedRows),
      usage_ips: Number(ips.numDeletedRows),
      usage_batches: Number(batches.numDeletedRows),
    };
  }
}
