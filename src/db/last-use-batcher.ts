import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

const DEFAULT_FLUSH_INTERVAL_MS = 1_000;
/** Rows per statement: well under SQLite's 32,766 bound parameters and PostgreSQL's 65,535. */
const ROWS_PER_WRITE = 500;

/** Writes one batch of "last used" times: credential id → time in ms. */
export type LastUseWrite = (batch: ReadonlyMap<string, number>) => Promise<unknown>;

/**
 * Gathers "last used" times in memory and writes them in batches, one statement per few hundred
 * credentials with the event loop running between statements, every `flushIntervalMs` and on
 * `close()`: recording a use costs the request one map write, never a database statement. A failed
 * batch is kept and merged into the next one (the later time wins). The caller decides how often a
 * credential is worth recording at all.
 */
export class LastUseBatcher {
  #pending = new Map<string, number>();
  readonly #write: LastUseWrite;
  readonly #onError: (error: unknown) => void;
  readonly #timer: NodeJS.Timeout;
  #flushing: Promise<void> | null = null;

  constructor(options: {
    write: LastUseWrite;
    onError?: (error: unknown) => void;
    flushIntervalMs?: number;
  }) {
    this.#write = options.write;
    this.#onError = options.onError ?? (() => {});
    this.#timer = setInterval(() => {
      this.flush().catch(() => {});
    }, options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS).unref();
  }

  record(id: string, now: number): void {
    this.#pending.set(id, now);
  }

  /** Credentials waiting to be written. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Writes what has gathered so far; resolves once written (or once the failure is reported). */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    if (this.#pending.size === 0) return;
    const batch = this.#pending;
    this.#pending = new Map();
    this.#flushing = this.#writeAll(batch).finally(() => {
      this.#flushing = null;
    });
    await this.#flushing;
  }

  /** Stops the timer and writes what is left. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }

  async #writeAll(batch: Map<string, number>): Promise<void> {
    let chunk = new Map<string, number>();
    const chunks: Map<string, number>[] = [];
    for (const [id, at] of batch) {
      chunk.set(id, at);
      if (chunk.size === ROWS_PER_WRITE) {
        chunks.push(chunk);
        chunk = new Map();
      }
    }
    if (chunk.size > 0) chunks.push(chunk);
    for (const [index, part] of chunks.entries()) {
      // On SQLite a write runs on this thread: requests are served between chunks, not after all of them.
      if (index > 0) await yieldToEventLoop();
      try {
        await this.#write(part);
      } catch (error) {
        for (const [id, at] of part) {
          if ((this.#pending.get(id) ?? 0) < at) this.#pending.set(id, at);
        }
        this.#onError(error);
      }
    }
  }
}
