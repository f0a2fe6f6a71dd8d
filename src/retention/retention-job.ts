import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log/logger.ts';
import type { RetentionClass, RetentionConfig } from './retention-config.ts';
import { type ClassPurger, type PurgeReport, runPurge } from './retention-purge.ts';

export interface RetentionDeps {
  readonly config: RetentionConfig;
  readonly purgers: Partial<Record<RetentionClass, ClassPurger>>;
  readonly notPurged?: Partial<Record<RetentionClass, string>>;
  readonly logger: Logger;
}

export interface RunOptions {
  readonly dryRun: boolean;
  /** The time cutoffs are measured back from (tests); now by default. */
  readonly now?: number;
  readonly batchSize?: number;
  /** How long to step aside between batches. */
  readonly pauseMs?: number;
}

// Between batches the job steps aside for this long: on SQLite each batch holds the write lock.
const PAUSE_MS = 20;
// The first run waits this long after start, so a starting server is not busy purging.
const FIRST_RUN_DELAY_MS = 60_000;

/**
 * The retention job (P2): on the main thread of every instance (never the data path's thread), it
 * purges each class in batches every `purgeIntervalMs`, one run at a time. Instances sharing
 * PostgreSQL may run it together: every batch is an idempotent delete. Each run logs one line of
 * counts; `gatehouse purge` runs the same purge (or, with `--dry-run`, counts) from the CLI.
 */
export class RetentionJob {
  readonly #deps: RetentionDeps;
  #timers: NodeJS.Timeout[] = [];
  #running: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(deps: RetentionDeps) {
    this.#deps = deps;
  }

  /** Schedules the purge: first after a minute, then every interval. */
  start(): void {
    if (this.#timers.length > 0 || this.#closed) return;
    const tick = () => {
      this.#running = this.#running.then(() => this.#scheduledRun());
    };
    this.#timers.push(setTimeout(tick, FIRST_RUN_DELAY_MS).unref());
    this.#timers.push(setInterval(tick, this.#deps.config.purgeIntervalMs).unref());
  }

  /** Purges now (or counts, with `dryRun`), after any run in progress, and logs the counts. */
  run(options: RunOptions): Promise<PurgeReport> {
    const next = this.#running.then(() => this.#purge(options));
    this.#running = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers = [];
    await this.#running;
  }

  async #scheduledRun(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#purge({ dryRun: false, pauseMs: PAUSE_MS });
    } catch (error) {
      this.#deps.logger.error(
        { err: error },
        'the retention purge failed; it runs again at the next interval',
      );
    }
  }

  async #purge(options: RunOptions): Promise<PurgeReport> {
    const pauseMs = options.pauseMs ?? 0;
    const report = await runPurge({
      periods: this.#deps.config.periods,
      purgers: this.#deps.purgers,
      ...(this.#deps.notPurged ? { notPurged: this.#deps.notPurged } : {}),
      dryRun: options.dryRun,
      ...(options.now === undefined ? {} : { now: options.now }),
      ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
      ...(pauseMs > 0 ? { pause: () => sleep(pauseMs) } : {}),
      stopped: () => this.#closed,
    });
    this.#log(report);
    return report;
  }

  #log(report: PurgeReport): void {
    const rows: Record<string, number> = {};
    for (const entry of report.classes) rows[entry.class] = entry.rows;
    for (const entry of report.classes.filter((c) => c.outcome === 'failed'))
      this.#deps.logger.error(
        { class: entry.class, reason: entry.note },
        'a retention class could not be purged',
      );
    this.#deps.logger.info(
      { dry_run: report.dry_run, rows, total: report.rows, duration_ms: report.duration_ms },
      report.dry_run ? 'retention purge dry run' : 'retention purge finished',
    );
  }
}
