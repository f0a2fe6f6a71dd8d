/**
 * A bounded map of recently verified secrets (by keyed hash) to what the database said about them.
 * Entries live at most `ttlMs`; `clear()` drops everything when a change is announced. A load that
 * started before a clear is not stored, so a revocation can never be undone by a slow read.
 */
export class CredentialCache<T> {
  readonly #entries = new Map<string, { value: T; loadedAt: number }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  #generation = 0;

  constructor(ttlMs: number, maxEntries = 100_000) {
    this.#ttlMs = ttlMs;
    this.#maxEntries = maxEntries;
  }

  get(hash: string, now: number): T | undefined {
    const entry = this.#entries.get(hash);
    if (entry === undefined) return undefined;
    if (now - entry.loadedAt >= this.#ttlMs) {
      this.#entries.delete(hash);
      return undefined;
    }
    return entry.value;
  }

  /** The generation to hand back to `set`, taken before the load starts. */
  get generation(): number {
    return this.#generation;
  }

  set(hash: string, value: T, loadedAt: number, generation: number): void {
    if (generation !== this.#generation || this.#ttlMs === 0) return;
    if (this.#entries.size >= this.#maxEntries)
      this.#entries.delete(this.#entries.keys().next().value as string);
    this.#entries.set(hash, { value, loadedAt });
  }

  clear(): void {
    this.#generation++;
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}
