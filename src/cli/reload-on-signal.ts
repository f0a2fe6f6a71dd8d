import type { RunningGatehouse } from '../server/gatehouse.ts';

/**
 * SIGHUP reloads the gateway file of a running `gatehouse serve`, as `gatehouse reload` does (O6).
 * The outcome is in the log: the reloader logs a refusal or a failure, the data path a success. A
 * SIGHUP before the server runs is ignored (start-up reads the file anyway) instead of killing it.
 */
export function reloadGatewayOnSighup(
  running: () => Pick<RunningGatehouse, 'reloadGateway'> | undefined,
): void {
  process.on('SIGHUP', () => {
    running()
      ?.reloadGateway({ actor: { type: 'system', id: null, name: 'SIGHUP' } })
      .catch(() => {});
  });
}
