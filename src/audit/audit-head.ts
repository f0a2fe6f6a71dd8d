import type { Kysely } from 'kysely';
import type { DialectName } from '../db/database.ts';
import type { Schema } from '../db/schema.ts';

/**
 * Reads the chain head inside `trx`, locking it on PostgreSQL so appends, checkpoints and purges
 * are serialised across instances. (SQLite transactions begin immediate: one writer at a time.)
 */
export async function lockAuditHead(
  trx: Kysely<Schema>,
  dialect: DialectName,
): Promise<{ seq: number; hash: string }> {
  let query = trx.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1);
  if (dialect === 'postgres') query = query.forUpdate();
  return query.executeTakeFirstOrThrow();
}
