import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';

export interface PurgeOutcome {
  /** Every entry up to and including this one is gone; the chain now starts after its checkpoint. */
  through_seq: number;
  entries_removed: number;
  checkpoints_removed: number;
}

/**
 * Inside a transaction holding the audit head lock: removes every entry up to and including the
 * checkpointed entry `throughSeq`, and the checkpoints before it. The checkpoint at `throughSeq`
 * stays: it is where every later verify starts, in place of the genesis.
 */
export async function deleteThroughCheckpoint(
  trx: Kysely<Schema>,
  throughSeq: number,
): Promise<PurgeOutcome> {
  const entries = await trx.deleteFrom('audit_log').where('seq', '<=', throughSeq).executeTakeFirst();
  const checkpoints = await trx
    .deleteFrom('audit_checkpoints')
    .where('seq', '<', throughSeq)
    .executeTakeFirst();
  return {
    through_seq: throughSeq,
    entries_removed: Number(entries.numDeletedRows),
    checkpoints_removed: Number(checkpoints.numDeletedRows),
  };
}
