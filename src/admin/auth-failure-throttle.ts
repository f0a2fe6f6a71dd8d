import { type TokenBucketState, takeToken } from '../gateway/token-bucket.ts';

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

/**
 * Brute-force protection for a credential check, per client network (a token bucket of failures,
 * `token-bucket.ts`): every attempt reserves one token before the credential is checked, and a
 * successful attempt releases it, so only failures use up the allowance. Reserving first means a
 * burst of concurrent guesses cannot check more credentials than the allowance while the first
 * ones are still in flight. An exhausted client is refused before its credential is checked, a
 * valid one too: otherwise a success would still tell a guesser it had found one. Other clients
 * are never affected.
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

  /** Reserves one attempt for `client`, or says how long it must wait. */
  attempt(client: string, now = Date.now()): AttemptDecision {
    let state = this.#clients.get(client);
    if (state === undefined) {
      if (this.#clients.size >= this.#maxClients) {
        const oldest = this.#clients.keys().next();
        if (!oldest.done) this.#clients.delete(oldest.value);
      }
      state = { tokens: this.#burst, updatedAt: now };
      this.#clients.set(client, state);
    }
    const decision = takeToken(state, this.#perSecond, this.#burst, now);
    return decision.allowed ? { allowed: true } : { allowed: false, retryAfterMs: decision.retryAfterMs };
  }

  /** Gives a reservation back: the attempt succeeded, or could not be checked at all. */
  release(client: string): void {
    const state = this.#clients.get(client);
    if (state !== undefined) state.tokens = Math.min(this.#burst, state.tokens + 1);
  }

  /** Forgets clients whose allowance is whole again: the same as never having seen them. */
  sweep(now: number): void {
    for (const [client, state] of this.#clients) {
      const tokens = state.tokens + ((now - state.updatedAt) / 1000) * this.#perSecond;
      if (tokens >= this.#burst) this.#clients.delete(client);
    }
  }

  get size(): number {
    return this.#clients.size;
  }

  close(): void {
    clearInterval(this.#sweeper);
  }
}
