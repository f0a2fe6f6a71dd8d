/**
 * Remembers webhook ids already accepted, so a captured request cannot be played again. Plug in a
 * shared store (Redis `SET key 1 PXAT expiresAt NX`) when several instances receive.
 */
export interface ReplayCache {
  /** Records `id` until `expiresAt` (ms since epoch); false if it is already recorded and unexpired. */
  remember(id: string, expiresAt: number): boolean | Promise<boolean>;
  /** Drops `id`, so the sender's retry is accepted after the receiver failed to process it. */
  forget(id: string): void | Promise<void>;
}

/** An in-memory replay cache holding at most `maxEntries` ids (default 100 000), each until it expires. */
export class MemoryReplayCache implements ReplayCache {
  readonly #entries = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: { maxEntries?: number; now?: () => number } = {}) {
    this.#maxEntries = options.maxEntries ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  remember(id: string, expiresAt: number): boolean {
    const now = this.#now();
    const known = this.#entries.get(id);
    if (known !== undefined && known > now) return false;
    this.#entries.delete(id);
    this.#entries.set(id, expiresAt);
    this.#evict(now);
    return true;
  }

  forget(id: string): void {
    this.#entries.delete(id);
  }

  get size(): number {
    return this.#entries.size;
  }

  // Oldest first: expired entries go, then (only under a flood of validly signed ids) the oldest.
  #evict(now: number): void {
    for (const [id, expiresAt] of this.#entries) {
      if (expiresAt > now && this.#entries.size <= this.#maxEntries) break;
      this.#entries.delete(id);
    }
  }
}
