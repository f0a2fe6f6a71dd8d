import type { Command } from 'commander';
import { withLocalServices } from './local-services.ts';
import { print, run } from './output.ts';

/** `gatehouse audit verify`: checks the hash chain straight from the database. */
export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit trail');

  audit
    .command('verify')
    .description(
      'walk the whole chain and report the first edited, inserted or deleted entry (exit 2 if broken)',
    )
    .option('--json', 'print JSON')
    .action((options) =>
      run(() =>
        withLocalServices(async ({ audit: log, database }) => {
          const result = await log.verify(database.db);
          print(result, options, () =>
            result.ok
              ? `audit chain intact: ${result.entries_checked} entries verified`
              : `audit chain BROKEN at entry ${result.first_broken?.seq} (${result.first_broken?.reason}); ${result.entries_checked} entries before it verified`,
          );
          if (!result.ok) process.exitCode = 2;
        }),
      ),
    );
}
