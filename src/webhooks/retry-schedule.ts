/** Jitter spreads retries of many deliveries that failed together (an outage) over ±20 %. */
const JITTER = 0.2;
const MAX_RETRY_AFTER_MS = 86_400_000;

/**
 * The delay before attempt number `step` (0-based) of a delivery, with jitter, or undefined when the
 * schedule has no such attempt and the delivery has failed for good.
 */
export function delayBeforeAttempt(
  schedule: readonly number[],
  step: number,
  random: () => number = Math.random,
): number | undefined {
  const base = schedule[step];
  if (base === undefined) return undefined;
  return base === 0 ? 0 : Math.round(base * (1 - JITTER + 2 * JITTER * random()));
}

/** A `Retry-After` header (seconds or an HTTP date) in milliseconds from `now`, capped at a day. */
export function retryAfterMs(header: string | string[] | undefined, now: number): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  const text = value.trim();
  let ms: number;
  if (/^\d{1,9}$/.test(text)) ms = Number(text) * 1000;
  else {
    const date = Date.parse(text);
    if (Number.isNaN(date)) return undefined;
    ms = date - now;
  }
  return ms <= 0 ? undefined : Math.min(ms, MAX_RETRY_AFTER_MS);
}
