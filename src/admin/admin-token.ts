import { iso, isoOrNull } from '../credentials/dates.ts';
import type { AdminTokenTable } from './admin-schema.ts';

export const ADMIN_ROLES = ['auditor', 'admin', 'owner'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];

/** Whether `role` may do what `required` allows: owner ⊃ admin ⊃ auditor (read-only). */
export function roleAllows(role: AdminRole, required: AdminRole): boolean {
  return ADMIN_ROLES.indexOf(role) >= ADMIN_ROLES.indexOf(required);
}

/** An admin token as the API shows it: never the secret, never its hash. */
export interface AdminToken {
  id: string;
  name: string;
  role: AdminRole;
  hint: string;
  source: 'api' | 'environment' | 'generated' | 'cli';
  status: 'active' | 'revoked' | 'expired';
  created_at: string;
  created_by: string | null;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}

export function toAdminToken(row: AdminTokenTable, now = Date.now()): AdminToken {
  return {
    id: row.id,
    name: row.name,
    role: row.role as AdminRole,
    hint: row.hint,
    source: (row.source ?? 'api') as AdminToken['source'],
    status:
      row.revoked_at !== null
        ? 'revoked'
        : row.expires_at !== null && row.expires_at <= now
          ? 'expired'
          : 'active',
    created_at: iso(row.created_at),
    created_by: row.created_by,
    last_used_at: isoOrNull(row.last_used_at),
    expires_at: isoOrNull(row.expires_at),
    revoked_at: isoOrNull(row.revoked_at),
  };
}
