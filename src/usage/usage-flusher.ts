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
 * Writes the counter's batch every `flushIntervalMs` (default 5 s), off the request path, then
 * runs the usage detectors on it. A batch that fails to write is kept and retried with the same
 * id at the next tick (the id makes a retry whose first commit did land a no-op), so a crash loses
 * at most the counts since the last committed batch, and a restart never adds one twice.
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
  const write = async () => {
    if (!counter.empty) pending.push(counter.take());
    while (pending.length > 0) {
      const batch = pending[0] as UsageBatch;
      const now = Date.now();
      let applied: Awaited<ReturnType<UsageStore['apply']>>;
      try {
        applied = await store.apply(batch, now);
      } catch (error) {
        logger.warn({ err: error, batch: batch.id }, 'usage batch not written; retried at the next flush');
        return;
      }
      pending = pending.slice(1);
      if (sink === null || !applied.applied) continue;
      await runUsageDetectors({ store, sink, settings: settings.detectors, batch, applied, now }).catch(
        (error: unknown) => logger.warn({ err: error }, 'usage detectors failed'),
      );
    }
  };
  const flush = () => {
    running = running.then(write);
    return running;
  };
  const timer = setInterval(flush, settings.flushIntervalMs);
  timer.unref();
  return {
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
