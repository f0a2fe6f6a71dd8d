/** A per-IP token bucket: `capacity` requests at once, refilled at `refillPerSecond`. */
export interface RateLimitOptions {
  readonly capacity?: number;
  readonly refillPerSecond?: number;
  /** Most IPs tracked at once (default 10 000); the least recently seen is dropped first. */
  readonly maxClients?: number;
}

/** In-memory token buckets keyed by client IP. */
export class IpRateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #capacity: number;
  readonly #refillPerMs: number;
  readonly #maxClients: number;
  readonly #now: () => number;

  constructor(options: RateLimitOptions = {}, now: () => number = Date.now) {
    this.#capacity = options.capacity ?? 100;
    this.#refillPerMs = (options.refillPerSecond ?? 50) / 1000;
    this.#maxClients = options.maxClients ?? 10_000;
    this.#now = now;
  }

  /** Takes a token for `ip`: 0 if allowed, otherwise the seconds to wait (for Retry-After). */
  take(ip: string): number {
    const now = this.#now();
    const bucket = this.#buckets.get(ip) ?? { tokens: this.#capacity, at: now };
    this.#buckets.delete(ip);
    bucket.tokens = Math.min(this.#capacity, bucket.tokens + (now - bucket.at) * this.#refillPerMs);
    bucket.at = now;
    this.#buckets.set(ip, bucket);
    if (this.#buckets.size > this.#maxClients) {
      const oldest = this.#buckets.keys().next().value;
      if (oldest !== undefined) this.#buckets.delete(oldest);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.#refillPerMs / 1000));
  }
}
