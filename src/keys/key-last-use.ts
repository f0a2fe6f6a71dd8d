import { type Kysely, sql } from 'kysely';
import type { Schema } from '../db/schema.ts';

/** Writes a batch of keys' last-use times in one statement (`LastUseBatcher` keeps batches small). */
export async function writeKeyLastUse(db: Kysely<Schema>, batch: ReadonlyMap<string, number>): Promise<void> {
  if (batch.size === 0) return;
  const cases = [...batch].map(([id, at]) => sql`when ${id} then cast(${at} as bigint)`);
  await sql`update api_keys set last_used_at = case id ${sql.join(cases, sql` `)} end where id in (${sql.join([...batch.keys()])})`.execute(
    db,
  );
}
