import type { RetentionClass, RetentionPeriods } from './retention-config.ts';
import { formatPeriod, RETENTION_CLASSES } from './retention-config.ts';

/**
 * What each feature gives the retention job for the tables it owns: counts per table of the rows a
 * purge with `cutoff` would remove, and one bounded batch of the removal. A batch must be safe to run
 * on several instances at once (deleting what is already gone is a no-op) and returns how many rows
 * of each table it removed; all zero means the class is done.
 */
export interface ClassPurger {
  count(cutoff: number): Promise<Record<string, number>>;
  purgeBatch(cutoff: number, batchSize: number): Promise<Record<string, number>>;
}

/** One class in a purge run's report. */
export interface ClassReport {
  class: RetentionClass;
  retention: string;
  /** Rows older than this (ISO 8601) are purged; null when the class is kept forever. */
  cutoff: string | null;
  /**
   * `purged`/`would_purge`, `kept_forever`, `not_purged` (a class this job does not purge), or
   * `failed` (the note says why; what earlier batches removed is counted, the other classes still run).
   */
  outcome: 'purged' | 'would_purge' | 'kept_forever' | 'not_purged' | 'failed';
  /** Rows removed (or, in a dry run, that would be), per table. */
  tables: Record<string, number>;
  rows: number;
  note?: string;
}

export interface PurgeReport {
  dry_run: boolean;
  started_at: string;
  duration_ms: number;
  classes: ClassReport[];
  rows: number;
}

export interface PurgeOptions {
  readonly periods: RetentionPeriods;
  /** The classes this deployment can purge; a class without one is reported `not_purged`. */
  readonly purgers: Partial<Record<RetentionClass, ClassPurger>>;
  readonly dryRun: boolean;
  readonly now?: number;
  readonly batchSize?: number;
  /** Awaited between batches, so other work (requests, deliveries) gets the database in between. */
  readonly pause?: () => Promise<void>;
  /** Checked between batches: a closing server stops purging at the next boundary. */
  readonly stopped?: () => boolean;
  /** Why a class without a purger is not purged, for the report. */
  readonly notPurged?: Partial<Record<RetentionClass, string>>;
}

export const DEFAULT_BATCH_SIZE = 1000;

/** Runs one purge over every class (or counts what it would remove, with `dryRun`). */
export async function runPurge(options: PurgeOptions): Promise<PurgeReport> {
  const now = options.now ?? Date.now();
  const started = Date.now();
  const classes: ClassReport[] = [];
  for (const name of RETENTION_CLASSES) {
    classes.push(await purgeClass(name, now, options));
  }
  return {
    dry_run: options.dryRun,
    started_at: new Date(now).toISOString(),
    duration_ms: Date.now() - started,
    classes,
    rows: classes.reduce((sum, report) => sum + report.rows, 0),
  };
}

async function purgeClass(name: RetentionClass, now: number, options: PurgeOptions): Promise<ClassReport> {
  const period = options.periods[name];
  const base = { class: name, retention: formatPeriod(period), tables: {}, rows: 0 };
  if (period === null) return { ...base, cutoff: null, outcome: 'kept_forever' };
  const cutoff = now - period;
  const purger = options.purgers[name];
  if (!purger) {
    const note = options.notPurged?.[name] ?? 'no purge for this class';
    return { ...base, cutoff: new Date(cutoff).toISOString(), outcome: 'not_purged', note };
  }
  const tables: Record<string, number> = {};
  try {
    if (options.dryRun) Object.assign(tables, await purger.count(cutoff));
    else await purgeAll(purger, cutoff, options, tables);
  } catch (error) {
    return {
      ...base,
      cutoff: new Date(cutoff).toISOString(),
      outcome: 'failed',
      tables,
      rows: Object.values(tables).reduce((sum, n) => sum + n, 0),
      note: error instanceof Error ? error.message : String(error),
    };
  }
  return {
    ...base,
    cutoff: new Date(cutoff).toISOString(),
    outcome: options.dryRun ? 'would_purge' : 'purged',
    tables,
    rows: Object.values(tables).reduce((sum, n) => sum + n, 0),
  };
}

/** Runs batches until one removes nothing, adding what each removed to `totals`. */
async function purgeAll(
  purger: ClassPurger,
  cutoff: number,
  options: PurgeOptions,
  totals: Record<string, number>,
): Promise<void> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  for (;;) {
    if (options.stopped?.()) return;
    const batch = await purger.purgeBatch(cutoff, batchSize);
    let removed = 0;
    for (const [table, n] of Object.entries(batch)) {
      totals[table] = (totals[table] ?? 0) + n;
      removed += n;
    }
    if (removed === 0) return;
    await options.pause?.();
  }
}
