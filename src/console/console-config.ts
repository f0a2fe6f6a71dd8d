import type { EnvReader } from '../config/env-reader.ts';
import { formatDuration, parseDuration } from '../webhooks/duration.ts';

export interface ConsoleConfig {
  /** A session unused this long ends (`GATEHOUSE_CONSOLE_IDLE_TIMEOUT`, default 30m). */
  readonly idleTimeoutMs: number;
  /** A session ends this long after sign-in, used or not (`GATEHOUSE_CONSOLE_SESSION_LIFETIME`, default 12h). */
  readonly sessionLifetimeMs: number;
}

const MIN_MS = 1000;
const MAX_MS = 7 * 86_400_000;

/** Reads the `GATEHOUSE_CONSOLE_*` variables into `read`'s problem list. */
export function readConsoleConfig(read: EnvReader): ConsoleConfig {
  const duration = (name: string, fallback: string): number => {
    const raw = read.string(name, fallback);
    const value = parseDuration(raw);
    if (value === undefined || value < MIN_MS || value > MAX_MS) {
      read.problem(
        `${name} must be a duration like 90s, 30m or 12h, from ${formatDuration(MIN_MS)} to ${formatDuration(MAX_MS)} (got "${raw}")`,
      );
      return parseDuration(fallback) as number;
    }
    return value;
  };
  const idleTimeoutMs = duration('GATEHOUSE_CONSOLE_IDLE_TIMEOUT', '30m');
  const sessionLifetimeMs = duration('GATEHOUSE_CONSOLE_SESSION_LIFETIME', '12h');
  return { idleTimeoutMs, sessionLifetimeMs };
}
