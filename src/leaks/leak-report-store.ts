import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';

/** The SQL of `leak_reports`: which report bodies were claimed, and which were answered. */
export class LeakReportStore {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  /**
   * Claims a report body for answering, atomically across instances: true for the first claim, and
   * for a claim whose answer was abandoned (a crash) longer than `staleMs` ago; false for a replay.
   */
  async claim(
    digest: string,
    reporter: string,
    tokens: number,
    now: number,
    staleMs: number,
  ): Promise<boolean> {
    const inserted = await this.#db
      .insertInto('leak_reports')
      .values({ digest, reporter, tokens, received_at: now, answered_at: null })
      .onConflict((conflict) => conflict.column('digest').doNothing())
      .returning('digest')
      .executeTakeFirst();
    if (inserted !== undefined) return true;
    const reclaimed = await this.#db
      .updateTable('leak_reports')
      .set({ received_at: now })
      .where('digest', '=', digest)
      .where('answered_at', 'is', null)
      .where('received_at', '<', now - staleMs)
      .returning('digest')
      .executeTakeFirst();
    return reclaimed !== undefined;
  }

  async answered(digest: string, now: number): Promise<void> {
    await this.#db
      .updateTable('leak_reports')
      .set({ answered_at: now })
      .where('digest', '=', digest)
      .execute();
  }

  /** Gives a claim back after a failed answer, so the code host's retry is answered. */
  async release(digest: string): Promise<void> {
    await this.#db
      .deleteFrom('leak_reports')
      .where('digest', '=', digest)
      .where('answered_at', 'is', null)
      .execute();
  }
}
