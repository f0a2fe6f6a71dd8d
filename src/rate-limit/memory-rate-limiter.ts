import type { LimitMemo, RateLimiter, RateLimitPolicy } from './rate-limiter.ts';
import { type LimitDecision, type TokenBucketState, takeToken } from './token-bucket.ts';

const SWEEP_INTERVAL_MS = 10_000;
/**
 * How long a bucket is kept after it is full again. Dropping it then changes no answer, but a key
 * used every few seconds would get a new bucket (an allocation and a map insert) at almost every
 * request; kept a minute, it is reused.
 */
const KEEP_FULL_MS = 60_000;

interface Bucket extends TokenBucketState {
  /** When the bucket will have refilled completely: from then on, dropping it changes nothing. */
  fullAt: number;
  readonly key: string;
  readonly policy: string;
  /** Set when the sweep or the bound removed it from the map: a memo of it is stale. */
  dropped: boolean;
}

/**
 * Token buckets in this process's memory: the default, and the fallback of the Redis limiter. A
 * bucket idle long enough to be full again is the same as no bucket, so a periodic sweep drops it
 * (a minute later, so a key in steady use keeps its own);
 * `maxBuckets` bounds memory under a flood of distinct keys (a dropped bucket restarts full).
 */
export class MemoryRateLimiter implements RateLimiter {
  readonly #buckets = new Map<string, Map<string, Bucket>>();
  readonly #maxBuckets: number;
  readonly #sweeper: NodeJS.Timeout;
  readonly #memoKey = Symbol('rate-limit bucket');
  #count = 0;

  constructor(options: { maxBuckets?: number } = {}) {
    this.#maxBuckets = options.maxBuckets ?? 1_000_000;
    this.#sweeper = setInterval(() => this.sweep(Date.now()), SWEEP_INTERVAL_MS).unref();
  }

  take(key: string, policy: RateLimitPolicy, now: number, memo?: LimitMemo): LimitDecision {
    let state = memo?.[this.#memoKey] as Bucket | undefined;
    if (state === undefined || state.dropped || state.key !== key || state.policy !== policy.name) {
      state = this.#bucketOf(key, policy, now);
      if (memo !== undefined) memo[this.#memoKey] = state;
    }
    const decision = takeToken(state, policy.requestsPerSecond, policy.burst, now);
    state.fullAt = now + decision.resetMs;
    return decision;
  }

  #bucketOf(key: string, policy: RateLimitPolicy, now: number): Bucket {
    let buckets = this.#buckets.get(policy.name);
    if (buckets === undefined) {
      buckets = new Map();
      this.#buckets.set(policy.name, buckets);
    }
    let state = buckets.get(key);
    if (state === undefined) {
      if (this.#count >= this.#maxBuckets) this.#evictOldest(buckets);
      state = { tokens: policy.burst, updatedAt: now, fullAt: now, key, policy: policy.name, dropped: false };
      buckets.set(key, state);
      this.#count++;
    }
    return state;
  }

  /** Drops the buckets that have been full again for a minute. */
  sweep(now: number): void {
    for (const buckets of this.#buckets.values()) {
      for (const [key, state] of buckets) {
        if (state.fullAt + KEEP_FULL_MS <= now) {
          state.dropped = true;
          buckets.delete(key);
          this.#count--;
        }
      }
    }
  }

  get size(): number {
    return this.#count;
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
  }

  #evictOldest(buckets: Map<string, Bucket>): void {
    const oldest = buckets.entries().next();
    if (!oldest.done) {
      oldest.value[1].dropped = true;
      buckets.delete(oldest.value[0]);
      this.#count--;
    }
  }
}
