/** How a call retries: attempts after the first, and the backoff's base and cap. */
export interface RetryOptions {
  /** Retries after the first attempt (default 3; 0 turns retrying off). */
  readonly max?: number;
  /** The first backoff ceiling in ms (default 200); it doubles per retry. */
  readonly baseDelayMs?: number;
  /** The largest backoff in ms (default 10 000). */
  readonly maxDelayMs?: number;
}

/** Exponential backoff with full jitter (a random wait up to base·2^retry, capped). */
export function backoffMs(retry: number, options: Required<RetryOptions>, random = Math.random): number {
  return Math.floor(random() * Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** retry));
}

/** `Retry-After` as seconds (RFC 9110: delay-seconds or an HTTP date), or undefined. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  if (/^\d+$/.test(text.trim())) return Number(text.trim());
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}
