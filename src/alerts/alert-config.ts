import type { EnvReader } from '../config/env-reader.ts';
import { formatDuration, parseDuration } from '../webhooks/duration.ts';

/** Alerting defaults (L4, L5): every value has a documented default and is checked at start. */
export interface AlertConfig {
  /** One alert per (rule, subject) within this window; repeats count, sinks hear the first. */
  readonly dedupWindowMs: number;
  /** `auth_failures` / `admin_auth_failures`: this many failures … */
  readonly authFailureThreshold: number;
  /** … within this window raise an alert. */
  readonly authFailureWindowMs: number;
  /** `rotation_due`: credentials older than this (K4, default 90 days). */
  readonly rotationAgeMs: number;
  /** `unused_credential`: no use for this long (K5, default 30 days). */
  readonly unusedAfterMs: number;
  /** How often the off-path scans (rotation, unused) and the sink outbox run. */
  readonly scanIntervalMs: number;
  readonly deliveryPollMs: number;
  /** How often the audit log is read for admin token changes (`admin_permission_change`). */
  readonly auditPollMs: number;
  /** Delay before each sink retry. */
  readonly retryScheduleMs: readonly number[];
  /** `smtp://` or `smtps://` URL of the SMTP server for email sinks, or null (email sinks refused). */
  readonly smtpUrl: string | null;
  readonly smtpFrom: string;
}

/** Reads the `GATEHOUSE_ALERT_*` and `GATEHOUSE_SMTP_*` variables into `read`'s problem list. */
export function readAlertConfig(read: EnvReader): AlertConfig {
  const smtp = read.string('GATEHOUSE_SMTP_URL', '');
  if (smtp !== '' && !/^smtps?:\/\//.test(smtp))
    read.problem('GATEHOUSE_SMTP_URL must start with smtp:// or smtps://');
  return {
    dedupWindowMs: duration(read, 'GATEHOUSE_ALERT_DEDUP_WINDOW', '1h', 1000, 30 * 86_400_000),
    authFailureThreshold: read.integer('GATEHOUSE_ALERT_AUTH_FAILURES', 5, 1, 1_000_000),
    authFailureWindowMs: duration(read, 'GATEHOUSE_ALERT_AUTH_FAILURE_WINDOW', '60s', 1000, 86_400_000),
    rotationAgeMs: duration(read, 'GATEHOUSE_ALERT_ROTATION_AGE', '90d', 60_000, 3650 * 86_400_000),
    unusedAfterMs: duration(read, 'GATEHOUSE_ALERT_UNUSED_AFTER', '30d', 60_000, 3650 * 86_400_000),
    scanIntervalMs: duration(read, 'GATEHOUSE_ALERT_SCAN_INTERVAL', '1h', 100, 7 * 86_400_000),
    deliveryPollMs: duration(read, 'GATEHOUSE_ALERT_DELIVERY_POLL', '1s', 10, 60_000),
    auditPollMs: duration(read, 'GATEHOUSE_ALERT_AUDIT_POLL', '5s', 10, 3_600_000),
    retryScheduleMs: [0, 5_000, 30_000, 300_000, 1_800_000, 7_200_000],
    smtpUrl: smtp === '' ? null : smtp,
    smtpFrom: read.string('GATEHOUSE_SMTP_FROM', 'gatehouse@localhost'),
  };
}

function duration(read: EnvReader, name: string, fallback: string, min: number, max: number): number {
  const raw = read.string(name, fallback);
  const value = parseDuration(raw);
  if (value === undefined || value < min || value > max) {
    read.problem(
      `${name} must be a duration like 30s, 5m, 1h or 90d, from ${formatDuration(min)} to ${formatDuration(max)} (got "${raw}")`,
    );
    return parseDuration(fallback) as number;
  }
  return value;
}
