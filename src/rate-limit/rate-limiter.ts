import type { LimitDecision } from './token-bucket.ts';

/** A `{requests_per_second, burst}` setting, as written in keys, clients and the gateway file. */
export interface RateLimit {
  requests_per_second: number;
  burst: number;
}

/** One token-bucket policy: what it limits (per credential, per IP) and how fast it refills. */
export interface RateLimitPolicy {
  readonly name: 'credential' | 'ip';
  readonly requestsPerSecond: number;
  readonly burst: number;
  /** The `RateLimit-Policy` field value, computed once. */
  readonly header: string;
}

/**
 * Where a limiter may keep a reference to the bucket of one key between its requests (the
 * caller's `memo`, one per cached credential): the bucket is then found without a lookup in a map
 * of every key. Each limiter keeps its own symbol-keyed property; the map stays the truth.
 */
export type LimitMemo = Record<symbol, unknown>;

/**
 * Takes one token from the bucket of `key` under `policy`. The in-memory limiter answers
 * synchronously (no await on the hot path); a shared one (Redis) answers with a promise. `memo`,
 * when given, belongs to `key` alone.
 */
export interface RateLimiter {
  take(
    key: string,
    policy: RateLimitPolicy,
    now: number,
    memo?: LimitMemo,
  ): LimitDecision | Promise<LimitDecision>;
  close(): Promise<void>;
}

/**
 * A policy for a `{requests_per_second, burst}` setting. Announced per
 * draft-ietf-httpapi-ratelimit-headers-10: `"<name>";q=<burst>;w=<seconds to refill the burst>`.
 */
export function rateLimitPolicy(name: RateLimitPolicy['name'], limit: RateLimit): RateLimitPolicy {
  const window = Math.max(1, Math.ceil(limit.burst / limit.requests_per_second));
  return Object.freeze({
    name,
    requestsPerSecond: limit.requests_per_second,
    burst: limit.burst,
    header: `"${name}";q=${limit.burst};w=${window}`,
  });
}

/** The `RateLimit` field value: tokens left and whole seconds until the bucket is full (or, refused, until the retry). */
export function rateLimitField(policy: RateLimitPolicy, decision: LimitDecision): string {
  const seconds = Math.ceil((decision.allowed ? decision.resetMs : decision.retryAfterMs) / 1000);
  return `"${policy.name}";r=${decision.remaining};t=${seconds}`;
}

/** `Retry-After` in whole seconds, never 0 (a client must not retry at once). */
export function retryAfterSeconds(decision: LimitDecision): string {
  return String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000)));
}
