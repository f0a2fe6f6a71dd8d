import type { KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';
import { type BrokenLinkReason, checkLink } from './audit-chain.ts';
import { toEntry } from './audit-entry.ts';
import type { AuditCheckpointTable, AuditLogTable } from './audit-schema.ts';
import { chainDigest, entryDigest, purgedThrough } from './checkpoint-format.ts';

/** A point in the chain: the newest entry walked so far (seq 0: before the first entry). */
export interface ChainPosition {
  readonly seq: number;
  readonly entryId: string | null;
  readonly hash: string;
  readonly digest: string;
}

export interface BrokenLink {
  seq: number;
  id: string | null;
  reason: BrokenLinkReason;
}

export type WalkResult =
  | { ok: true; end: ChainPosition; checked: number; purgesRecorded: Set<number> }
  | { ok: false; broken: BrokenLink; checked: number };

export interface WalkOptions {
  /** Stop after this entry (default: the newest). */
  readonly throughSeq?: number;
  /** Checks a stored checkpoint's signature; the link fields are compared by the walk itself. */
  readonly signatureValid: (checkpoint: AuditCheckpointTable) => boolean;
}

const PAGE = 1000;

/**
 * Walks the stored chain from `start`, checking each entry's HMAC link and every stored checkpoint
 * it passes (same entry, same hash, same public digest, valid signature).
 */
export async function walkStoredChain(
  db: Kysely<Schema>,
  chainKey: KeyObject,
  start: ChainPosition,
  options: WalkOptions,
): Promise<WalkResult> {
  let position = start;
  let checked = 0;
  const purgesRecorded = new Set<number>();
  const limit = options.throughSeq ?? Number.MAX_SAFE_INTEGER;
  for (;;) {
    const rows = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>', position.seq)
      .where('seq', '<=', limit)
      .orderBy('seq', 'asc')
      .limit(PAGE)
      .execute();
    const last = rows.at(-1);
    const checkpoints = new Map<number, AuditCheckpointTable>();
    if (last) {
      const stored = await db
        .selectFrom('audit_checkpoints')
        .selectAll()
        .where('seq', '>', position.seq)
        .where('seq', '<=', last.seq)
        .execute();
      for (const checkpoint of stored) checkpoints.set(checkpoint.seq, checkpoint);
    }
    for (const row of rows) {
      const reason = checkLink(chainKey, row, position.seq + 1, position.hash);
      if (reason) return { ok: false, broken: { seq: row.seq, id: row.id, reason }, checked };
      const entry = toEntry(row);
      const digest = chainDigest(position.digest, entryDigest(entry));
      const broken = checkpointProblem(checkpoints.get(row.seq), row, digest, options);
      if (broken) return { ok: false, broken: { seq: row.seq, id: row.id, reason: broken }, checked };
      checked++;
      const through = purgedThrough(entry);
      if (through !== undefined) purgesRecorded.add(through);
      position = { seq: row.seq, entryId: row.id, hash: row.hash, digest };
    }
    if (rows.length < PAGE) break;
  }
  return { ok: true, end: position, checked, purgesRecorded };
}

function checkpointProblem(
  checkpoint: AuditCheckpointTable | undefined,
  row: AuditLogTable,
  digest: string,
  options: WalkOptions,
): BrokenLinkReason | null {
  if (!checkpoint) return null;
  if (checkpoint.entry_id !== row.id || checkpoint.hash !== row.hash || checkpoint.digest !== digest)
    return 'checkpoint_mismatch';
  return options.signatureValid(checkpoint) ? null : 'checkpoint_signature_invalid';
}
