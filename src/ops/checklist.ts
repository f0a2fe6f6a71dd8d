import { type ChecklistReport, reportOf } from './checklist-report.ts';
import { CONFIG_CHECKS, evaluate, SERVER_CHECKS } from './checks.ts';
import { type ChecklistConfig, configFacts } from './config-facts.ts';
import type { LoggerFactory } from './redaction-canary.ts';
import { type ServerFactSources, serverFacts } from './server-facts.ts';

/** The local half of `doctor`: the checks a configuration decides, without a running server. */
export async function checkConfiguration(
  config: ChecklistConfig,
  createLogger: LoggerFactory,
): Promise<ChecklistReport> {
  return reportOf(evaluate(CONFIG_CHECKS, await configFacts(config, createLogger)));
}

/**
 * The running server's checklist (`GET /admin/v1/checklist`, the console, `doctor`): its own
 * configuration's checks and those only it can answer, read fresh on every run.
 */
export class Checklist {
  readonly #config: ChecklistConfig;
  readonly #createLogger: LoggerFactory;
  readonly #sources: ServerFactSources;
  #running: Promise<ChecklistReport> | null = null;

  constructor(config: ChecklistConfig, createLogger: LoggerFactory, sources: ServerFactSources) {
    this.#config = config;
    this.#createLogger = createLogger;
    this.#sources = sources;
  }

  /** Callers at the same time share one run: each run probes ports and reads every credential. */
  run(): Promise<ChecklistReport> {
    this.#running ??= this.#run().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  async #run(): Promise<ChecklistReport> {
    const rotationAgeMs = this.#config.alerts.rotationAgeMs;
    const [local, server] = await Promise.all([
      configFacts(this.#config, this.#createLogger),
      serverFacts(this.#sources, rotationAgeMs),
    ]);
    return reportOf([
      ...evaluate(CONFIG_CHECKS, local),
      ...evaluate(SERVER_CHECKS, { ...server, rotationAgeMs }),
    ]);
  }
}
