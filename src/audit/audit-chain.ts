import { createHmac, type KeyObject } from 'node:crypto';
import type { AuditLogTable } from './audit-schema.ts';

/**
 * The link hash of one entry: HMAC-SHA256, under a key derived from the server pepper, of every
 * stored field including the previous entry's hash. Someone who can write to the database but does
 * not hold the pepper cannot recompute the chain after editing it.
 */
export function linkHash(chainKey: KeyObject, row: Omit<AuditLogTable, 'hash'>): string {
  const fields = [
    row.seq,
    row.id,
    row.created_at,
    row.actor_type,
    row.actor_id,
    row.actor_name,
    row.action,
    row.target_type,
    row.target_id,
    row.before_json,
    row.after_json,
    row.ip,
    row.request_id,
    row.prev_hash,
  ];
  return createHmac('sha256', chainKey).update(JSON.stringify(fields)).digest('base64url');
}

export type BrokenLinkReason =
  | 'entry_modified'
  | 'chain_broken'
  | 'entries_missing'
  | 'head_mismatch'
  | 'checkpoint_mismatch'
  | 'checkpoint_signature_invalid';

/** Why one stored entry does not follow the one before it, or null when it does. */
export function checkLink(
  chainKey: KeyObject,
  row: AuditLogTable,
  expectedSeq: number,
  previousHash: string,
): BrokenLinkReason | null {
  if (row.seq !== expectedSeq) return 'entries_missing';
  if (row.prev_hash !== previousHash) return 'chain_broken';
  const { hash, ...rest } = row;
  return linkHash(chainKey, rest) === hash ? null : 'entry_modified';
}
