/**
 * A map that holds at most `maxEntries` values and forgets the least recently used one to make room
 * for a new one. For what is expensive to rebuild (an imported key, a verified token, a compiled
 * schema) and cheap to rebuild again once forgotten; a miss is never wrong, only slower.
 *
 * @example
 * const compiled = new BoundedCache<string, ValidateFunction>(500);
 * const validate = compiled.get(key) ?? compiled.set(key, ajv.compile(schema));
 */
export class BoundedCache<K, V> {
  readonly #maxEntries: number;
  // A Map iterates in insertion order; re-inserting on every hit keeps the least recently used first.
  readonly #entries = new Map<K, V>();

  constructor(maxEntries: number) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1)
      throw new RangeError('a bounded cache needs room for at least one entry');
    this.#maxEntries = maxEntries;
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
    this.#entries.delete(key);
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
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
