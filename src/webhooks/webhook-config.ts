import { readFileSync } from 'node:fs';
import type { EnvReader } from '../config/env-reader.ts';
import { formatDuration, parseDuration } from './duration.ts';

/** How webhooks are delivered: everything the `GATEHOUSE_WEBHOOK_*` variables configure. */
export interface WebhookConfig {
  /** Development only: endpoints may resolve to private, loopback or link-local addresses. */
  readonly allowPrivateAddresses: boolean;
  /** PEM certificates trusted for deliveries in addition to the public roots, or null. */
  readonly extraCa: string | null;
  /** Delay before each attempt, in milliseconds: one entry per attempt, the first usually 0. */
  readonly retrySchedule: readonly number[];
  /** Longest wait for a receiver's response, connection included. */
  readonly timeoutMs: number;
  /** An endpoint failing without a single success for this long is disabled. */
  readonly disableAfterMs: number;
  /** Most deliveries in flight to one endpoint from one instance. */
  readonly endpointConcurrency: number;
  /** Most deliveries in flight from one instance. */
  readonly maxInFlight: number;
  /** How often an idle worker looks for due deliveries (others' publishes, retries). */
  readonly pollIntervalMs: number;
}

export const DEFAULT_RETRY_SCHEDULE = '0,5s,5m,30m,2h,5h,10h,10h';
const MAX_DELAY_MS = 7 * 86_400_000;

/** Reads the webhook variables into `read`'s problem list; production refuses private addresses. */
export function readWebhookConfig(read: EnvReader, production: boolean): WebhookConfig {
  const allowPrivateAddresses = read.flag('GATEHOUSE_WEBHOOK_ALLOW_PRIVATE');
  if (allowPrivateAddresses && production) {
    read.problem(
      'GATEHOUSE_WEBHOOK_ALLOW_PRIVATE lets webhooks reach private networks (SSRF) and is refused in production mode; unset it',
    );
  }
  return {
    allowPrivateAddresses,
    extraCa: readCaFile(read, 'GATEHOUSE_WEBHOOK_CA_FILE'),
    retrySchedule: readSchedule(read, 'GATEHOUSE_WEBHOOK_RETRY_SCHEDULE'),
    timeoutMs: readDuration(read, 'GATEHOUSE_WEBHOOK_TIMEOUT', '15s', 100, 300_000),
    disableAfterMs: readDuration(read, 'GATEHOUSE_WEBHOOK_DISABLE_AFTER', '5d', 0, 90 * 86_400_000),
    endpointConcurrency: read.integer('GATEHOUSE_WEBHOOK_ENDPOINT_CONCURRENCY', 10, 1, 1000),
    maxInFlight: read.integer('GATEHOUSE_WEBHOOK_MAX_IN_FLIGHT', 200, 1, 10_000),
    pollIntervalMs: readDuration(read, 'GATEHOUSE_WEBHOOK_POLL_INTERVAL', '1s', 10, 60_000),
  };
}

function readDuration(read: EnvReader, name: string, fallback: string, min: number, max: number): number {
  const raw = read.string(name, fallback);
  const value = parseDuration(raw);
  if (value === undefined || value < min || value > max) {
    read.problem(
      `${name} must be a duration like 500ms, 15s, 5m, 2h or 1d, from ${formatDuration(min)} to ${formatDuration(max)} (got "${raw}")`,
    );
    return parseDuration(fallback) as number;
  }
  return value;
}

function readSchedule(read: EnvReader, name: string): number[] {
  const raw = read.string(name, DEFAULT_RETRY_SCHEDULE);
  const delays = raw.split(',').map(parseDuration);
  if (delays.length > 50 || delays.some((d) => d === undefined || d > MAX_DELAY_MS)) {
    read.problem(
      `${name} must be 1-50 comma-separated durations of at most 7d, one per attempt (e.g. "${DEFAULT_RETRY_SCHEDULE}"; got "${raw}")`,
    );
    return DEFAULT_RETRY_SCHEDULE.split(',').map((d) => parseDuration(d) as number);
  }
  return delays as number[];
}

function readCaFile(read: EnvReader, name: string): string | null {
  const file = read.optionalString(name);
  if (file === undefined) return null;
  try {
    const pem = readFileSync(file, 'utf8');
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      read.problem(`${name} must name a file of PEM certificates (${file} holds none)`);
      return null;
    }
    return pem;
  } catch (error) {
    read.problem(`${name} cannot be read (${file}): ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    return null;
  }
}
