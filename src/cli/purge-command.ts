import type { Command } from 'commander';
import type { PurgeReport } from '../retention/retention-purge.ts';
import { withLocalServices } from './local-services.ts';
import { print, run, table } from './output.ts';

/**
 * `gatehouse purge [--dry-run] [--json]`: the retention purge (P2) run now against the configured
 * database, as the scheduled job would; `--dry-run` only counts what would go.
 */
export function registerPurgeCommand(program: Command): void {
  program
    .command('purge')
    .description(
      'delete what is older than each GATEHOUSE_RETENTION_* period now (the server also does this hourly); --dry-run only counts',
    )
    .option('--dry-run', 'count what would be deleted, delete nothing')
    .option('--json', 'print JSON')
    .action((options: { dryRun?: boolean; json?: boolean }) =>
      run(() =>
        withLocalServices(async ({ retention }) => {
          const report = await retention.run({ dryRun: options.dryRun === true });
          print(report, options, () => describe(report));
          if (report.classes.some((entry) => entry.outcome === 'failed')) process.exitCode = 1;
        }),
      ),
    );
}

function describe(report: PurgeReport): string {
  const rows = report.classes.map((entry) => ({
    class: entry.class,
    retention: entry.retention,
    cutoff: entry.cutoff,
    [report.dry_run ? 'would_delete' : 'deleted']:
      entry.outcome === 'kept_forever' || entry.outcome === 'not_purged' ? '-' : entry.rows,
    detail:
      entry.note ??
      (entry.outcome === 'kept_forever'
        ? 'kept forever'
        : Object.entries(entry.tables)
            .map(([name, n]) => `${name}=${n}`)
            .join(' ')),
  }));
  const columns = ['class', 'retention', 'cutoff', report.dry_run ? 'would_delete' : 'deleted', 'detail'];
  const failed = report.classes.filter((entry) => entry.outcome === 'failed').map((entry) => entry.class);
  const summary =
    failed.length > 0
      ? `${report.rows} rows deleted; FAILED: ${failed.join(', ')}`
      : report.dry_run
        ? `dry run: ${report.rows} rows would be deleted; nothing was deleted`
        : `${report.rows} rows deleted`;
  return `${table(rows, columns)}\n${summary}`;
}
