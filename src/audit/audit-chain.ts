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
