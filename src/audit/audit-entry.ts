import type { Actor } from './audit-context.ts';
import type { AuditLogTable } from './audit-schema.ts';

/** One audit entry in its public form: what the admin API lists and an export holds. */
export interface AuditEntry {
  seq: number;
  id: string;
  time: string;
  actor: Actor;
  action: string;
  target: { type: string; id: string | null };
  before: unknown;
  after: unknown;
  ip: string | null;
  request_id: string | null;
  prev_hash: string;
  hash: string;
}

export function toEntry(row: AuditLogTable): AuditEntry {
  return {
    seq: row.seq,
    id: row.id,
    time: new Date(row.created_at).toISOString(),
    actor: { type: row.actor_type as Actor['type'], id: row.actor_id, name: row.actor_name },
    action: row.action,
    target: { type: row.target_type, id: row.target_id },
    before: row.before_json === null ? null : JSON.parse(row.before_json),
    after: row.after_json === null ? null : JSON.parse(row.after_json),
    ip: row.ip,
    request_id: row.request_id,
    prev_hash: row.prev_hash,
    hash: row.hash,
  };
}
