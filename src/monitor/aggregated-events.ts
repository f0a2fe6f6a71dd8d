import type { SecurityEventInput } from './security-events.ts';

/** Where finished windows go: `SecurityEvents` in production. */
export interface SecurityEventRecorder {
  record(input: SecurityEventInput): Promise<void>;
}

export interface AggregationOptions {
  /** How long a window stays open after its first occurrence. */
  readonly windowMs?: number;
  /** Windows open at most at once; past that the oldest is written early. */
  readonly maxOpen?: number;
}

interface OpenWindow {
  readonly event: SecurityEventInput;
  readonly startedAt: number;
  lastAt: number;
  readonly counts: Record<string, number>;
}

const SWEEP_INTERVAL_MS = 5_000;

/**
 * Security events that can come thousands a second (failed authentications from one address) as
 * one stored event per key and window instead of one per occurrence: the event carries a count of
 * each kind of occurrence and when the window started and ended. A window is written when it ends,
 * when the caller says so (`add(…, { closeNow: true })`, e.g. when a throttle engages, so an attack
 * is visible at once), or on `close`.
 */
export class AggregatedSecurityEvents {
  readonly #recorder: SecurityEventRecorder;
  readonly #windowMs: number;
  readonly #maxOpen: number;
  readonly #open = new Map<string, OpenWindow>();
  readonly #writing = new Set<Promise<void>>();
  readonly #sweeper: NodeJS.Timeout;

  constructor(recorder: SecurityEventRecorder, options: AggregationOptions = {}) {
    this.#recorder = recorder;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#maxOpen = options.maxOpen ?? 10_000;
    this.#sweeper = setInterval(() => this.sweep(Date.now()), SWEEP_INTERVAL_MS).unref();
  }

  /**
   * Counts one occurrence under `key` (e.g. event and client network): `counts` are added to the
   * window's counts, and the stored event is `event` (the window's first) with the counts added to
   * its details.
   */
  add(
    key: string,
    event: SecurityEventInput,
    counts: Readonly<Record<string, number>>,
    options: { readonly closeNow?: boolean } = {},
    now = Date.now(),
  ): void {
    let window = this.#open.get(key);
    if (window === undefined) {
      if (this.#open.size >= this.#maxOpen) {
        const oldest = this.#open.keys().next();
        if (!oldest.done) this.#write(oldest.value);
      }
      window = { event, startedAt: now, lastAt: now, counts: {} };
      this.#open.set(key, window);
    }
    window.lastAt = now;
    for (const [name, value] of Object.entries(counts))
      window.counts[name] = (window.counts[name] ?? 0) + value;
    if (options.closeNow) this.#write(key);
  }

  /** Writes every window that has ended. */
  sweep(now: number): void {
    for (const [key, window] of this.#open) {
      if (now - window.startedAt >= this.#windowMs) this.#write(key);
    }
  }

  /** Writes every open window and waits until all are stored. */
  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    for (const key of [...this.#open.keys()]) this.#write(key);
    await Promise.all(this.#writing);
  }

  #write(key: string): void {
    const window = this.#open.get(key);
    if (window === undefined) return;
    this.#open.delete(key);
    const writing = this.#recorder
      .record({
        ...window.event,
        details: {
          ...window.event.details,
          ...window.counts,
          window_started_at: new Date(window.startedAt).toISOString(),
          window_ended_at: new Date(window.lastAt).toISOString(),
        },
      })
      .finally(() => this.#writing.delete(writing));
    this.#writing.add(writing);
  }
}
