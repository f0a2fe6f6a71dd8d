import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { AlertSink } from './alert-sink.ts';
import type { UsageBatch, UsageCounter } from './usage-counter.ts';
import { runUsageDetectors } from './usage-detectors.ts';
import type { UsageSettings } from './usage-settings.ts';
import type { UsageStore } from './usage-store.ts';

/** A running flusher: `close` writes what is still counted, then stops. */
export interface UsageFlusher {
  /** Writes the counts so far now (tests, shutdown); resolves when they are committed. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The share of the thread's time usage records may take. Writing costs per credential in the batch,
 * so with very many active credentials a flush every `flushIntervalMs` would take a large part of
 * the data path's thread: the next flush then waits until writing stays within this share.
 */
export const USAGE_WRITE_BUDGET = 0.025;
/** The longest wait between flushes however large they are (what a crash can lose at worst). */
export const MAX_USAGE_FLUSH_INTERVAL_MS = 60_000;

/**
 * Writes the counter's batch every `flushIntervalMs` (default 5 s), off the request path, then
 * runs the usage detectors on it; when a flush took more than `USAGE_WRITE_BUDGET` of that time,
 * the next waits longer (up to `MAX_USAGE_FLUSH_INTERVAL_MS`). A batch that fails to write is kept
 * and retried with the same id at the next tick (the id makes a retry whose first commit did land
 * a no-op), so a crash loses at most the counts since the last committed batch, and a restart
 * never adds one twice.
 */
export function startUsageFlusher(options: {
  counter: UsageCounter;
  store: UsageStore;
  settings: UsageSettings;
  sink: AlertSink | null;
  logger: Logger;
}): UsageFlusher {
  const { counter, store, settings, sink, logger } = options;
  let pending: UsageBatch[] = [];
  let running: Promise<void> = Promise.resolve();
  const write = async (clock: WriteClock) => {
    if (!counter.empty) pending.push(counter.take());
    while (pending.length > 0) {
      const batch = pending[0] as UsageBatch;
      const now = Date.now();
      let applied: Awaited<ReturnType<UsageStore['apply']>>;
      try {
        applied = await store.apply(batch, now, clock.pause);
      } catch (error) {
        logger.warn({ err: error, batch: batch.id }, 'usage batch not written; retried at the next flush');
        return;
      }
      pending = pending.slice(1);
      if (sink === null || !applied.applied) continue;
      await runUsageDetectors({
        store,
        sink,
        settings: settings.detectors,
        batch,
        applied,
        now,
        pause: clock.pause,
      }).catch((error: unknown) => logger.warn({ err: error }, 'usage detectors failed'));
    }
  };
  let busyMs = 0;
  const flush = () => {
    running = running.then(async () => {
      const clock = new WriteClock();
      await write(clock);
      busyMs = clock.busyMs();
    });
    return running;
  };
  let closed = false;
  let timer: NodeJS.Timeout;
  const schedule = () => {
    timer = setTimeout(
      () => {
        flush().finally(() => {
          if (!closed) schedule();
        });
      },
      nextFlushDelay(busyMs, settings.flushIntervalMs),
    );
    timer.unref();
  };
  schedule();
  return {
    flush,
    async close() {
      closed = true;
      clearTimeout(timer);
      await flush();
    },
  };
}

/** The wait before the next flush, after one that kept the thread busy for `busyMs`. */
export function nextFlushDelay(busyMs: number, flushIntervalMs: number): number {
  const longest = Math.max(flushIntervalMs, MAX_USAGE_FLUSH_INTERVAL_MS);
  return Math.min(Math.max(flushIntervalMs, busyMs / USAGE_WRITE_BUDGET), longest);
}

/** How long a flush keeps the thread busy: its wall time without the turns it gives the event loop. */
class WriteClock {
  #busy = 0;
  #since = performance.now();

  readonly pause = async (): Promise<void> => {
    this.#busy += performance.now() - this.#since;
    await yieldToEventLoop();
    this.#since = performance.now();
  };

  busyMs(): number {
    return this.#busy + performance.now() - this.#since;
  }
}
