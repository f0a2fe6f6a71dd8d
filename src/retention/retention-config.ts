import type { EnvReader } from '../config/env-reader.ts';
import { formatDuration, parseDuration } from '../webhooks/duration.ts';

/** The data classes with a retention period (P2), each read from `GATEHOUSE_RETENTION_<CLASS>`. */
export const RETENTION_CLASSES = [
  'USAGE',
  'WEBHOOK_PAYLOADS',
  'SECURITY_EVENTS',
  'ALERTS',
  'IDEMPOTENCY',
  'AUDIT',
] as const;
export type RetentionClass = (typeof RETENTION_CLASSES)[number];

/** How long each class is kept, in milliseconds; null keeps it forever. */
export type RetentionPeriods = Readonly<Record<RetentionClass, number | null>>;

export interface RetentionConfig {
  readonly periods: RetentionPeriods;
  /** How often the purge job runs on each instance (`GATEHOUSE_PURGE_INTERVAL`). */
  readonly purgeIntervalMs: number;
}

/** The documented defaults (README, "Configuration"). */
export const RETENTION_DEFAULTS: Readonly<Record<RetentionClass, string>> = Object.freeze({
  USAGE: '90d',
  WEBHOOK_PAYLOADS: '30d',
  SECURITY_EVENTS: '365d',
  ALERTS: '365d',
  IDEMPOTENCY: '1d',
  AUDIT: 'forever',
});

const FOREVER = new Set(['0', 'forever']);
const HOUR_MS = 3_600_000;
// A shorter period would purge records the feature still relies on (a retry's idempotency key, a
// delivery's retries over about a day): an hour is the least any class may keep.
const MIN_PERIOD_MS = HOUR_MS;
const MIN_INTERVAL_MS = 60_000;
const MAX_INTERVAL_MS = 86_400_000;

/** Reads `GATEHOUSE_RETENTION_*` and `GATEHOUSE_PURGE_INTERVAL` into `read`'s problem list. */
export function readRetentionConfig(read: EnvReader): RetentionConfig {
  const periods = {} as Record<RetentionClass, number | null>;
  for (const name of RETENTION_CLASSES) periods[name] = readPeriod(read, name);
  return { periods: Object.freeze(periods), purgeIntervalMs: readInterval(read) };
}

function readPeriod(read: EnvReader, name: RetentionClass): number | null {
  const variable = `GATEHOUSE_RETENTION_${name}`;
  const fallback = RETENTION_DEFAULTS[name];
  const raw = read.string(variable, fallback);
  if (FOREVER.has(raw.toLowerCase())) return null;
  const value = parseDuration(raw);
  if (value === undefined || value < MIN_PERIOD_MS) {
    read.problem(
      `${variable} must be a duration of at least ${formatDuration(MIN_PERIOD_MS)} like 30d or 12h, or "forever" (got "${raw}")`,
    );
    return FOREVER.has(fallback) ? null : (parseDuration(fallback) as number);
  }
  return value;
}

function readInterval(read: EnvReader): number {
  const variable = 'GATEHOUSE_PURGE_INTERVAL';
  const raw = read.string(variable, '1h');
  const value = parseDuration(raw);
  if (value === undefined || value < MIN_INTERVAL_MS || value > MAX_INTERVAL_MS) {
    read.problem(
      `${variable} must be a duration like 15m or 1h, from ${formatDuration(MIN_INTERVAL_MS)} to ${formatDuration(MAX_INTERVAL_MS)} (got "${raw}")`,
    );
    return HOUR_MS;
  }
  return value;
}

/** A period as the README and `gatehouse purge` spell it. */
export function formatPeriod(ms: number | null): string {
  return ms === null ? 'forever' : formatDuration(ms);
}
