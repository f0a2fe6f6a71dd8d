import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';

/** The SQL of `leak_reports`: which report bodies were answered already. */
export class LeakReportStore {
  readonly #db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  async seen(digest: string): Promise<boolean> {
    const row = await this.#db
      .selectFrom('leak_reports')
      .select('digest')
      .where('digest', '=', digest)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Records an answered report; a second record of the same body (a concurrent replay) is a no-op. */
  async record(digest: string, reporter: string, tokens: number, now: number): Promise<void> {
    await this.#db
      .insertInto('leak_reports')
      .values({ digest, reporter, tokens, received_at: now })
      .onConflict((conflict) => conflict.column('digest').doNothing())
      .execute();
  }
}
