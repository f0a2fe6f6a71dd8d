/**
 * A map that holds at most `maxEntries` values and forgets the least recently used one to make room
 * for a new one. For what is expensive to rebuild (an imported key, a verified token, a compiled
 * schema) and cheap to rebuild again once forgotten; a miss is never wrong, only slower. `undefined`
 * is not a value it can hold (`get` answers undefined for a miss).
 *
 * @example
 * const compiled = new BoundedCache<string, ValidateFunction>(500);
 * const validate = compiled.get(key) ?? compiled.set(key, ajv.compile(schema));
 */
export interface BoundedCacheOptions<K, V> {
  /** Called with each entry the cache forgets to make room, or whose value a `set` replaces. */
  readonly onEvict?: (key: K, value: V) => void;
}

export class BoundedCache<K, V> {
  readonly #maxEntries: number;
  readonly #onEvict: ((key: K, value: V) => void) | undefined;
  // A Map iterates in insertion order; re-inserting on every hit keeps the least recently used first.
  readonly #entries = new Map<K, V>();

  constructor(maxEntries: number, options: BoundedCacheOptions<K, V> = {}) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1)
      throw new RangeError('a bounded cache needs room for at least one entry');
    this.#maxEntries = maxEntries;
    this.#onEvict = options.onEvict;
  }

  /** The value remembered for `key` (now the most recently used), or undefined. */
  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  /** Remembers `value` for `key`, forgetting the least recently used entry if the cache is full; returns `value`. */
  set(key: K, value: V): V {
    const replaced = this.#entries.get(key);
    if (replaced !== undefined) {
      this.#entries.delete(key);
      if (replaced !== value) this.#onEvict?.(key, replaced);
    } else if (this.#entries.size >= this.#maxEntries) {
      const [oldestKey, oldestValue] = this.#entries.entries().next().value as [K, V];
      this.#entries.delete(oldestKey);
      this.#onEvict?.(oldestKey, oldestValue);
    }
    this.#entries.set(key, value);
    return value;
  }

  /** Forgets `key`. */
  delete(key: K): void {
    this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }
}
