import { type TokenBucketState, takeToken } from '../rate-limit/token-bucket.ts';

export interface AuthFailureThrottleOptions {
  /** Failed attempts a client may make at once. */
  readonly burst?: number;
  /** How fast the allowance of failures comes back. */
  readonly failuresPerMinute?: number;
  /** Clients remembered at most; past that the oldest is forgotten (and starts afresh). */
  readonly maxClients?: number;
}

export type AttemptDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterMs: number };

const SWEEP_INTERVAL_MS = 60_000;

const ALLOWED: AttemptDecision = Object.freeze({ allowed: true });

/**
 * Brute-force protection for a credential check, per client network (a token bucket of failures,
 * `token-bucket.ts`): a failed attempt uses one token, a successful one nothing, and a client with
 * no token left is refused before its credential is checked, a valid one too (otherwise a success
 * would still tell a guesser it had found one). Checking uses nothing up, so any number of
 * concurrent requests with a valid credential pass; a burst of concurrent guesses can overshoot
 * the allowance by the guesses already in flight, once. Other clients are never affected.
 */
export class AuthFailureThrottle {
  readonly #burst: number;
  readonly #perSecond: number;
  readonly #maxClients: number;
  readonly #clients = new Map<string, TokenBucketState>();
  readonly #sweeper: NodeJS.Timeout;

  constructor(options: AuthFailureThrottleOptions = {}) {
    this.#burst = options.burst ?? 10;
    this.#perSecond = (options.failuresPerMinute ?? 10) / 60;
    this.#maxClients = options.maxClients ?? 100_000;
    this.#sweeper = setInterval(() => this.sweep(Date.now()), SWEEP_INTERVAL_MS).unref();
  }

  /** Whether `client` may have a credential checked now, or how long it must wait. Uses nothing up. */
  check(client: string, now = Date.now()): AttemptDecision {
    const state = this.#clients.get(client);
    if (state === undefined) return ALLOWED;
    const tokens = this.#tokensAt(state, now);
    if (tokens >= 1) return ALLOWED;
    return { allowed: false, retryAfterMs: Math.ceil(((1 - tokens) / this.#perSecond) * 1000) };
  }

  /** Uses one failure of `client`'s allowance. */
  failed(client: string, now = Date.now()): void {
    let state = this.#clients.get(client);
    if (state === undefined) {
      if (this.#clients.size >= this.#maxClients) {
        const oldest = this.#clients.keys().next();
        if (!oldest.done) this.#clients.delete(oldest.value);
      }
      state = { tokens: this.#burst, updatedAt: now };
      this.#clients.set(client, state);
    }
    takeToken(state, this.#perSecond, this.#burst, now);
  }

  /** Forgets clients whose allowance is whole again: the same as never having seen them. */
  sweep(now: number): void {
    for (const [client, state] of this.#clients) {
      if (this.#tokensAt(state, now) >= this.#burst) this.#clients.delete(client);
    }
  }

  get size(): number {
    return this.#clients.size;
  }

  #tokensAt(state: TokenBucketState, now: number): number {
    const elapsed = now > state.updatedAt ? now - state.updatedAt : 0;
    return Math.min(this.#burst, state.tokens + (elapsed / 1000) * this.#perSecond);
  }

  close(): void {
    clearInterval(this.#sweeper);
  }
}
