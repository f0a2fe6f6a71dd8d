import type { Command } from 'commander';
import { ConfigError } from '../config/config.ts';
import { isStartupError } from '../config/startup-error.ts';
import { DRAIN_TIMEOUT_MS } from '../gateway/drain-server.ts';
import { loadConfig } from '../server/config.ts';
import type { RunningGatehouse } from '../server/gatehouse.ts';
import { firstCallHelp } from './first-call-help.ts';
import { stopWithNpm } from './parent-watch.ts';
import { reloadGatewayOnSighup } from './reload-on-signal.ts';

const SAME_SIGNAL_MS = 1_000;

/**
 * `gatehouse serve` (= `npm start`): runs until SIGINT/SIGTERM, then drains and stops. SIGHUP
 * reloads the gateway file (as `gatehouse reload` does); the outcome is in the log.
 */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('start Gatehouse (data path and admin API)')
    .action(async () => {
      const parentAtStart = process.ppid;
      let config: ReturnType<typeof loadConfig>;
      try {
        config = loadConfig(process.env);
      } catch (error) {
        if (isStartupError(error)) {
          process.stderr.write(`Gatehouse cannot start: ${error.message}\n`);
          process.exit(1);
        }
        if (!(error instanceof ConfigError)) throw error;
        process.stderr.write(`${error.message}\n`);
        process.exitCode = 1;
        return;
      }
      let running: RunningGatehouse | undefined;
      let stoppingSince: number | undefined;
      const drainAndExit = async (gatehouse: RunningGatehouse) => {
        process.stderr.write(
          `Stopping: requests in flight may finish (up to ${DRAIN_TIMEOUT_MS / 1000} s; signal again to stop at once)\n`,
        );
        await gatehouse.close();
        process.exit(0);
      };
      const stop = () => {
        if (stoppingSince !== undefined) {
          // Ctrl+C reaches the whole process group and npm forwards it again: one press, not two.
          if (Date.now() - stoppingSince < SAME_SIGNAL_MS) return;
          // A second signal while requests drain: stop at once.
          process.exit(1);
        }
        stoppingSince = Date.now();
        // A signal while starting: start-up finishes, then it stops (below).
        if (running !== undefined) void drainAndExit(running);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      reloadGatewayOnSighup(() => running);
      stopWithNpm(
        () => {
          if (stoppingSince === undefined) stop();
        },
        { parentAtStart },
      );
      // Loaded on demand so the other commands start without the server's modules.
      const { startGatehouse } = await import('../server/gatehouse.ts');
      running = await startGatehouse(config, {
        mayGenerateOwnerToken: process.stderr.isTTY === true,
      }).catch((error: unknown) => {
        // A failure a person can fix is one line naming the setting; anything else is a bug to report, stack and all.
        if (!isStartupError(error)) throw error;
        process.stderr.write(`Gatehouse cannot start: ${error.message}\n`);
        process.exit(1);
      });
      if (stoppingSince !== undefined) return drainAndExit(running);
      process.stderr.write(firstCallHelp(config, running));
    });
}
