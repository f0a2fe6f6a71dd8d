import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../config/config.ts';
import { isStartupError } from '../config/startup-error.ts';
import { DRAIN_TIMEOUT_MS } from '../gateway/drain-server.ts';
import { firstCallHelp } from './first-call-help.ts';

/** `gatehouse serve` (= `npm start`): runs until SIGINT/SIGTERM, then drains and stops. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('start Gatehouse (data path and admin API)')
    .action(async () => {
      let config: ReturnType<typeof loadConfig>;
      try {
        config = loadConfig(process.env);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        process.stderr.write(`${error.message}\n`);
        process.exitCode = 1;
        return;
      }
      // Loaded on demand so the other commands start without the server's modules.
      const { startGatehouse } = await import('../server/gatehouse.ts');
      const gatehouse = await startGatehouse(config, {
        mayGenerateOwnerToken: process.stderr.isTTY === true,
      }).catch((error: unknown) => {
        // A failure a person can fix is one line naming the setting; anything else is a bug to report, stack and all.
        if (!isStartupError(error)) throw error;
        process.stderr.write(`Gatehouse cannot start: ${error.message}\n`);
        process.exit(1);
      });
      process.stderr.write(firstCallHelp(config, gatehouse));
      let stopping = false;
      const stop = async () => {
        // A second signal while requests drain: stop at once.
        if (stopping) process.exit(1);
        stopping = true;
        process.stderr.write(
          `Stopping: requests in flight may finish (up to ${DRAIN_TIMEOUT_MS / 1000} s; signal again to stop at once)\n`,
        );
        await gatehouse.close();
        process.exit(0);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
}
