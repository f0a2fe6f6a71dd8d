import type { AccessReviewReport } from './access-review.ts';
import { toCsv } from './csv.ts';

/**
 * The columns of the access review's CSV, in order: `gatehouse report access --format csv` and the
 * console's download write the same (documented in the top README).
 */
export const ACCESS_CSV_COLUMNS = [
  'credential_type',
  'id',
  'name',
  'role',
  'integrator_id',
  'integrator_name',
  'owner',
  'environment',
  'scopes',
  'status',
  'created_at',
  'age_days',
  'rotation_due',
  'last_used_at',
  'days_since_last_use',
  'unused',
  'ips_seen',
  'recent_ips',
] as const;

/** One CSV row per credential, then one per admin token (`credential_type` admin_token, with its role). */
export function accessRows(review: AccessReviewReport): Record<string, unknown>[] {
  return [
    ...review.data.map((entry) => ({ ...entry, role: null })),
    ...review.admin_tokens.map((token) => ({
      credential_type: 'admin_token',
      id: token.id,
      name: token.name,
      role: token.role,
      status: token.status,
      created_at: token.created_at,
      last_used_at: token.last_used_at,
      days_since_last_use: token.days_since_last_use,
      unused: token.unused,
    })),
  ];
}

/** The access review as one RFC 4180 document: the header, then {@link accessRows}. */
export function accessReviewCsv(review: AccessReviewReport): string {
  return toCsv(ACCESS_CSV_COLUMNS, accessRows(review));
}
