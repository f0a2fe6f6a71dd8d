import type { RunningGatehouse } from '../server/gatehouse.ts';

/**
 * SIGHUP reloads the gateway file of a running `gatehouse serve`, as `gatehouse reload` does (O6).
 * The outcome is in the log: the reloader logs a refusal or a failure, the data path a success.
 */
export function reloadGatewayOnSighup(gatehouse: Pick<RunningGatehouse, 'reloadGateway'>): void {
  process.on('SIGHUP', () => {
    gatehouse.reloadGateway({ actor: { type: 'system', id: null, name: 'SIGHUP' } }).catch(() => {});
  });
}
