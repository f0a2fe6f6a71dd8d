import type { Command } from 'commander';
import { AdminApiError } from './admin-client.ts';
import { print, runWithClient } from './output.ts';

interface Reloaded {
  status: 'reloaded';
  config_file: string | null;
  routes: number;
  needs_restart: string[];
}

/** `gatehouse reload`: the running server reads its gateway file again (as SIGHUP does). */
export function registerReloadCommand(program: Command): void {
  program
    .command('reload')
    .description(
      'make the running Gatehouse read its gateway file again and serve it without a restart (exit 1 if refused)',
    )
    .option('--json', 'print JSON')
    .action((options) =>
      runWithClient(async (client) => {
        let reloaded: Reloaded;
        try {
          reloaded = await client.call<Reloaded>('POST', '/admin/v1/gateway/reload');
        } catch (error) {
          if (!(error instanceof AdminApiError) || error.code !== 'gateway_config_invalid') throw error;
          if (options.json)
            process.stdout.write(`${JSON.stringify({ status: 'refused', errors: error.errors }, null, 2)}\n`);
          process.stderr.write(
            `not reloaded: ${error.message}\n${error.errors.map((e) => `  - ${e.field}: ${e.message}\n`).join('')}`,
          );
          process.exitCode = 1;
          return;
        }
        print(reloaded, options, () => {
          const file = reloaded.config_file ?? 'no gateway file (nothing is routed)';
          const lines = [`reloaded ${file}: ${reloaded.routes} route${reloaded.routes === 1 ? '' : 's'}`];
          if (reloaded.needs_restart.length > 0)
            lines.push(`still running as before until a restart: ${reloaded.needs_restart.join(', ')}`);
          return lines.join('\n');
        });
      }),
    );
}
