import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';
import { SYSTEM_CONTEXT } from './audit-context.ts';
import type { AuditLog } from './audit-log.ts';

/**
 * Audit entries past a retention cutoff (P2), removed only through `AuditLog.purgeAuditBefore`:
 * up to a signed checkpoint whose entry is older than the cutoff, so the chain stays verifiable from
 * there and an `audit.purge` entry records each purge. Entries after the newest such checkpoint stay
 * even when older than the cutoff. Each batch purges through one checkpoint, about `batchSize`
 * entries past the oldest (more when checkpoints are sparse), and checks the chain first.
 */
export class AuditPurge {
  readonly #db: Kysely<Schema>;
  readonly #audit: AuditLog;

  constructor(db: Kysely<Schema>, audit: AuditLog) {
    this.#db = db;
    this.#audit = audit;
  }

  /** How many entries and checkpoints a purge with `cutoff` would remove now. */
  async count(cutoff: number): Promise<Record<string, number>> {
    const through = await this.#eligible(cutoff).executeTakeFirst();
    if (!through) return { audit_log: 0, audit_checkpoints: 0 };
    const [entries, checkpoints] = await Promise.all([
      this.#db
        .selectFrom('audit_log')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('seq', '<=', through.seq)
        .executeTakeFirstOrThrow(),
      this.#db
        .selectFrom('audit_checkpoints')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('seq', '<', through.seq)
        .executeTakeFirstOrThrow(),
    ]);
    return { audit_log: Number(entries.n), audit_checkpoints: Number(checkpoints.n) };
  }

  /** Purges through the next checkpoint older than `cutoff`; zero rows when there is none. */
  async purgeBatch(cutoff: number, batchSize: number): Promise<Record<string, number>> {
    const oldest = await this.#db
      .selectFrom('audit_log')
      .select('seq')
      .orderBy('seq', 'asc')
      .limit(1)
      .executeTakeFirst();
    if (!oldest) return { audit_log: 0, audit_checkpoints: 0 };
    const within = await this.#eligible(cutoff)
      .where('c.seq', '<', oldest.seq + batchSize)
      .executeTakeFirst();
    const through = within ?? (await this.#eligible(cutoff, 'asc').executeTakeFirst());
    if (!through) return { audit_log: 0, audit_checkpoints: 0 };
    const outcome = await this.#audit.purgeAuditBefore(this.#db, { seq: through.seq }, SYSTEM_CONTEXT);
    return { audit_log: outcome.entries_removed, audit_checkpoints: outcome.checkpoints_removed };
  }

  /** The newest (or oldest) checkpoint whose entry is still stored and older than `cutoff`. */
  #eligible(cutoff: number, order: 'asc' | 'desc' = 'desc') {
    return this.#db
      .selectFrom('audit_checkpoints as c')
      .innerJoin('audit_log as e', 'e.seq', 'c.seq')
      .select('c.seq')
      .where('e.created_at', '<', cutoff)
      .orderBy('c.seq', order)
      .limit(1);
  }
}
