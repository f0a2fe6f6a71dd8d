import type { AuditContext, AuditLog } from '../audit/audit-log.ts';
import type { ConfigSource } from '../config/config.ts';
import { EnvReader } from '../config/env-reader.ts';
import type { Database } from '../db/database.ts';
import type { Logger } from '../log/logger.ts';
import { type GatewayConfig, readGatewayConfig } from './gateway-config.ts';
import { planReload, type ReloadPlan } from './restart-only-settings.ts';
import type { RunningGateway } from './start-gateway.ts';

/** How a reload of the gateway file ended. */
export type GatewayReloadOutcome =
  | {
      readonly ok: true;
      readonly configFile: string | null;
      readonly routes: number;
      /** Settings the file changes that only a restart applies; they keep their running values. */
      readonly needsRestart: readonly string[];
    }
  | {
      readonly ok: false;
      readonly reason: 'invalid';
      readonly configFile: string | null;
      /** One line per problem, each naming the file and the place in it. */
      readonly problems: readonly string[];
    }
  | { readonly ok: false; readonly reason: 'not_running' };

const VARIABLE_PREFIX = 'GATEHOUSE_CONFIG_FILE: ';

/**
 * Reloads the gateway file without a restart (O6), for `POST /admin/v1/gateway/reload` and
 * SIGHUP: reads the file again with the environment captured at start (so `GATEHOUSE_UPSTREAM_*`
 * still win), validates it, and hands the data path the parsed config to swap in. An invalid file
 * changes nothing: the running config stays and one warning names every problem. An applied
 * reload is audited as `gateway.reload`. Reloads run one at a time.
 */
export class GatewayReloader {
  readonly #source: ConfigSource;
  readonly #database: Database;
  readonly #audit: AuditLog;
  readonly #logger: Logger;
  #running: GatewayConfig;
  #gateway: Pick<RunningGateway, 'reload'> | null = null;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(deps: {
    source: ConfigSource;
    running: GatewayConfig;
    database: Database;
    audit: AuditLog;
    logger: Logger;
  }) {
    this.#source = deps.source;
    this.#running = deps.running;
    this.#database = deps.database;
    this.#audit = deps.audit;
    this.#logger = deps.logger.child({ component: 'gateway' });
  }

  /** The data path to reload (until then, and after `detach`, a reload is `not_running`). */
  attach(gateway: Pick<RunningGateway, 'reload'>): void {
    this.#gateway = gateway;
  }

  detach(): void {
    this.#gateway = null;
  }

  reload(context: AuditContext): Promise<GatewayReloadOutcome> {
    const next = this.#queue.then(() => this.#reloadNow(context));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #reloadNow(context: AuditContext): Promise<GatewayReloadOutcome> {
    const gateway = this.#gateway;
    if (gateway === null) return { ok: false, reason: 'not_running' };
    try {
      return await this.#readAndSwap(gateway, context);
    } catch (error) {
      this.#logger.error(
        { err: error, config_file: this.#running.configFile },
        'gateway file not reloaded; the running configuration stays',
      );
      throw error;
    }
  }

  async #readAndSwap(
    gateway: Pick<RunningGateway, 'reload'>,
    context: AuditContext,
  ): Promise<GatewayReloadOutcome> {
    const read = new EnvReader(this.#source.env);
    const next = readGatewayConfig(read, this.#source.cwd);
    const problems = read.problems.map((problem) =>
      problem.startsWith(VARIABLE_PREFIX) ? problem.slice(VARIABLE_PREFIX.length) : problem,
    );
    const running = this.#running;
    // A default-named file that disappeared would otherwise read as "no file": nothing routed.
    if (running.configFile !== null && next.configFile === null)
      problems.push(`${running.configFile} cannot be read (ENOENT)`);
    if (problems.length > 0) {
      this.#logger.warn(
        { config_file: next.configFile ?? running.configFile, problems },
        `gateway file not reloaded; the running configuration stays: ${problems.join('; ')}`,
      );
      return { ok: false, reason: 'invalid', configFile: next.configFile ?? running.configFile, problems };
    }
    const plan = planReload(running, next);
    await this.#swapIn(gateway, { running, next, plan, context });
    this.#running = plan.applied;
    return {
      ok: true,
      configFile: next.configFile,
      routes: next.routes.length,
      needsRestart: plan.needsRestart,
    };
  }

  /**
   * Swaps the new config in, then audits it; when the audit entry cannot be written the old config
   * is swapped back, so an applied reload is always audited. No transaction is held while the data
   * path swaps: its own writes (last use of a key) would wait on it, and requests with them.
   */
  async #swapIn(
    gateway: Pick<RunningGateway, 'reload'>,
    change: { running: GatewayConfig; next: GatewayConfig; plan: ReloadPlan; context: AuditContext },
  ): Promise<void> {
    const { running, next, plan, context } = change;
    await gateway.reload(next);
    try {
      await this.#database.db.transaction().execute((trx) =>
        this.#audit.append(trx, {
          ...context,
          action: 'gateway.reload',
          target: { type: 'gateway_config', id: next.configFile },
          before: summaryOf(running),
          after: { ...summaryOf(plan.applied), needs_restart: plan.needsRestart },
        }),
      );
    } catch (error) {
      await gateway.reload(running);
      throw error;
    }
  }
}

/** What the audit trail records of a gateway config: who may call what, and where it goes. */
function summaryOf(config: GatewayConfig) {
  return {
    config_file: config.configFile,
    upstreams: {
      production: config.environments.production.upstream,
      sandbox: config.environments.sandbox.upstream,
    },
    routes: config.routes.map((route) => ({
      method: route.methods === null ? '*' : route.methods.join(','),
      path: route.path,
      scopes: route.scopes,
      ...(route.bodySchema === null ? {} : { body_schema: true }),
    })),
  };
}
