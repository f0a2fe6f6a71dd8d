import type { EnvReader } from '../config/env-reader.ts';
import { formatDuration, parseDuration } from '../webhooks/duration.ts';

export interface AuditConfig {
  /** How often the chain head is signed when new entries exist (`GATEHOUSE_AUDIT_CHECKPOINT_INTERVAL`). */
  readonly checkpointIntervalMs: number;
}

const MIN_MS = 100;
const MAX_MS = 86_400_000;

/** Reads the `GATEHOUSE_AUDIT_*` variables into `read`'s problem list. */
export function readAuditConfig(read: EnvReader): AuditConfig {
  const name = 'GATEHOUSE_AUDIT_CHECKPOINT_INTERVAL';
  const fallback = '5m';
  const raw = read.string(name, fallback);
  const value = parseDuration(raw);
  if (value === undefined || value < MIN_MS || value > MAX_MS) {
    read.problem(
      `${name} must be a duration like 30s, 5m or 1h, from ${formatDuration(MIN_MS)} to ${formatDuration(MAX_MS)} (got "${raw}")`,
    );
    return { checkpointIntervalMs: parseDuration(fallback) as number };
  }
  return { checkpointIntervalMs: value };
}
