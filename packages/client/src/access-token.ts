/** An OAuth access token and when it stops being used (ms since the epoch). */
export interface CachedToken {
  readonly value: string;
  readonly refreshAt: number;
}

/**
 * Holds one access token: fetched on first use, shared by concurrent callers (one fetch in
 * flight), refreshed before it expires, and dropped
 * on a 401 so the next call fetches a new one.
 */
export class AccessTokenCache {
  #token: CachedToken | undefined;
  #pending: Promise<CachedToken> | undefined;
  readonly #fetch: () => Promise<{ value: string; expiresInSeconds: number }>;
  readonly #marginMs: number | undefined;

  /** `marginMs` undefined: 60 s early, at most half the lifetime; given: that early, at most lifetime − 1 s. */
  constructor(
    fetch: () => Promise<{ value: string; expiresInSeconds: number }>,
    marginMs: number | undefined,
  ) {
    this.#fetch = fetch;
    this.#marginMs = marginMs;
  }

  /** A token good for now: the cached one, or a fresh one. */
  async get(now = Date.now()): Promise<string> {
    if (this.#token !== undefined && now < this.#token.refreshAt) return this.#token.value;
    this.#pending ??= this.#fetch()
      .then(({ value, expiresInSeconds }) => {
        const lifetimeMs = expiresInSeconds * 1000;
        const early =
          this.#marginMs === undefined
            ? Math.min(60_000, lifetimeMs / 2)
            : Math.max(0, Math.min(this.#marginMs, lifetimeMs - 1000));
        this.#token = { value, refreshAt: Date.now() + lifetimeMs - early };
        return this.#token;
      })
      .finally(() => {
        this.#pending = undefined;
      });
    return (await this.#pending).value;
  }

  /** Forgets `value` if it is still the cached token (a 401 said it no longer works). */
  invalidate(value: string): void {
    if (this.#token?.value === value) this.#token = undefined;
  }
}
