/**
 * Group commit: work submitted while a commit runs waits and is committed with the next batch, in
 * one transaction, so a burst of N items costs a handful of transactions (and fsyncs), not N. An idle
 * submitter still commits at once. If a batch fails, its items are retried one by one, so one bad
 * item cannot fail its neighbours.
 */
export class GroupCommit<Item, Result> {
  readonly #commit: (items: Item[]) => Promise<Result[]>;
  readonly #maxBatch: number;
  #pending: { item: Item; resolve: (result: Result) => void; reject: (error: unknown) => void }[] = [];
  #draining: Promise<void> | null = null;

  constructor(commit: (items: Item[]) => Promise<Result[]>, maxBatch = 500) {
    this.#commit = commit;
    this.#maxBatch = maxBatch;
  }

  /** Resolves once the item is committed, with what the commit returned for it. */
  submit(item: Item): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      // setImmediate lets everything submitted in the same turn of the event loop join one batch.
      this.#draining ??= new Promise<void>((done) => setImmediate(() => this.#drain().finally(done)));
    });
  }

  /** Waits until everything submitted so far is committed (or failed). */
  async flush(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  get pending(): number {
    return this.#pending.length;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0, this.#maxBatch);
        try {
          const results = await this.#commit(batch.map((entry) => entry.item));
          for (const [index, entry] of batch.entries()) entry.resolve(results[index] as Result);
        } catch (error) {
          if (batch.length === 1) {
            batch[0]?.reject(error);
            continue;
          }
          for (const entry of batch) {
            try {
              const [result] = await this.#commit([entry.item]);
              entry.resolve(result as Result);
            } catch (single) {
              entry.reject(single);
            }
          }
        }
      }
    } finally {
      this.#draining = null;
    }
  }
}
