/** How long and how many: known secrets and unknown ones are bounded separately. */
export interface CredentialCacheLimits {
  /** How long a known secret is served from memory; freshness comes from change notices, not this. */
  readonly ttlMs: number;
  readonly maxEntries: number;
  /** How long a secret the database did not know is answered "unknown" without asking again. */
  readonly negativeTtlMs: number;
  readonly maxNegativeEntries: number;
}

export const DEFAULT_CACHE_LIMITS: CredentialCacheLimits = Object.freeze({
  ttlMs: 300_000,
  maxEntries: 1_000_000,
  negativeTtlMs: 60_000,
  maxNegativeEntries: 100_000,
});

/**
 * A bounded map of recently verified secrets (by digest) to what the database said about them, and
 * beside it a separate bounded set of secrets it did not know: a flood of random unknown secrets
 * only ever evicts other unknown ones, never a known key. `clear()` drops everything when a change
 * is announced; a load that started before a clear is not stored, so a revocation can never be
 * undone by a slow read. Both maps forget their oldest entry first when full.
 */
export class CredentialCache<T extends object> {
  readonly #known = new Map<string, { value: T; loadedAt: number }>();
  readonly #unknown = new Map<string, number>();
  readonly #limits: CredentialCacheLimits;
  #generation = 0;

  constructor(limits: Partial<CredentialCacheLimits> = {}) {
    this.#limits = { ...DEFAULT_CACHE_LIMITS, ...limits };
  }

  /** The cached value, `null` for a secret known to be unknown, `undefined` for a miss. */
  get(hash: string, now: number): T | null | undefined {
    const entry = this.#known.get(hash);
    if (entry !== undefined) {
      if (now - entry.loadedAt < this.#limits.ttlMs) return entry.value;
      this.#known.delete(hash);
      return undefined;
    }
    const seenAt = this.#unknown.get(hash);
    if (seenAt === undefined) return undefined;
    if (now - seenAt < this.#limits.negativeTtlMs) return null;
    this.#unknown.delete(hash);
    return undefined;
  }

  /** The generation to hand back to `set`, taken before the load starts. */
  get generation(): number {
    return this.#generation;
  }

  set(hash: string, value: T | null, loadedAt: number, generation: number): void {
    if (generation !== this.#generation) return;
    if (value === null) {
      if (this.#limits.negativeTtlMs === 0) return;
      remember(this.#unknown, hash, loadedAt, this.#limits.maxNegativeEntries);
    } else {
      if (this.#limits.ttlMs === 0) return;
      remember(this.#known, hash, { value, loadedAt }, this.#limits.maxEntries);
    }
  }

  clear(): void {
    this.#generation++;
    this.#known.clear();
    this.#unknown.clear();
  }

  /** Known secrets held. */
  get size(): number {
    return this.#known.size;
  }

  /** Unknown secrets held. */
  get unknownSize(): number {
    return this.#unknown.size;
  }
}

function remember<V>(map: Map<string, V>, key: string, value: V, maxEntries: number): void {
  map.delete(key);
  if (map.size >= maxEntries) map.delete(map.keys().next().value as string);
  map.set(key, value);
}
