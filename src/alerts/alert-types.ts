/** Alert rule names (SPEC "Monitoring, incidents and operations"). */
export const ALERT_RULES = [
  'auth_failures',
  'admin_auth_failures',
  'new_ip',
  'volume_spike',
  'error_rate',
  'webhook_signature_failures',
  'plain_http_credential',
  'rotation_due',
  'unused_credential',
  'admin_permission_change',
  'credential_leaked',
] as const;

export type AlertRule = (typeof ALERT_RULES)[number];

export type AlertStatus = 'open' | 'acknowledged';

/** What a detector hands to {@link AlertRaiser.raise}. Never put a secret in any field. */
export interface AlertInput {
  readonly rule: AlertRule;
  /** What the alert is about, e.g. `credential:<id>`, `ip:<addr>`, `client:<id>`, `admin:<id>`. */
  readonly subject: string;
  /** Ids of the security events behind this occurrence (linked to the alert). */
  readonly eventIds?: readonly string[];
  /** Context for people (shown in sink messages); never a secret. */
  readonly details?: Record<string, unknown>;
}

/** The one seam detectors use. Never throws; de-duplicates per (rule, subject) within the window. */
export interface AlertRaiser {
  raise(input: AlertInput, now?: number): Promise<void>;
}

/** An alert as the admin API shows it. */
export interface Alert {
  id: string;
  rule: string;
  subject: string;
  status: AlertStatus;
  count: number;
  first_seen: string;
  last_seen: string;
  event_ids: string[];
  details: Record<string, unknown>;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
}
