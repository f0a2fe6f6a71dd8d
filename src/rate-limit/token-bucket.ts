/** A token bucket's state: how many tokens it held at `updatedAt` (epoch ms). */
export interface TokenBucketState {
  tokens: number;
  updatedAt: number;
}

/** The outcome of taking one token, with what the RateLimit and Retry-After headers report. */
export interface LimitDecision {
  readonly allowed: boolean;
  /** Whole tokens left after this request. */
  readonly remaining: number;
  /** When refused: milliseconds until one token is back. 0 when allowed. */
  readonly retryAfterMs: number;
  /** Milliseconds until the bucket is full again. */
  readonly resetMs: number;
}

/**
 * Refills the bucket for the time passed since it was last touched (`requestsPerSecond`, capped at
 * `burst`), then takes one token if there is one. Mutates `state`; a clock that goes backwards
 * refills nothing.
 */
export function takeToken(
  state: TokenBucketState,
  requestsPerSecond: number,
  burst: number,
  now: number,
): LimitDecision {
  const perMs = requestsPerSecond / 1000;
  const elapsed = now > state.updatedAt ? now - state.updatedAt : 0;
  let tokens = state.tokens + elapsed * perMs;
  if (tokens > burst) tokens = burst;
  state.updatedAt = now;
  if (tokens >= 1) {
    tokens -= 1;
    state.tokens = tokens;
    return {
      allowed: true,
      remaining: Math.floor(tokens),
      retryAfterMs: 0,
      resetMs: Math.ceil((burst - tokens) / perMs),
    };
  }
  state.tokens = tokens;
  return {
    allowed: false,
    remaining: 0,
    retryAfterMs: Math.ceil((1 - tokens) / perMs),
    resetMs: Math.ceil((burst - tokens) / perMs),
  };
}

/** A bucket that was never used: full. */
export function fullBucket(burst: number, now: number): TokenBucketState {
  return { tokens: burst, updatedAt: now };
}
