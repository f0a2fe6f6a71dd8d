import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';
import type { Logger } from '../log/logger.ts';
import type { AuditCheckpoints } from './audit-checkpoints.ts';

/**
 * Signs the chain head every `intervalMs` when new entries exist (main thread only). Instances that
 * share a database may all run one: the head lock makes the second find the head already signed.
 */
export class CheckpointScheduler {
  readonly #deps: { db: Kysely<Schema>; checkpoints: AuditCheckpoints; intervalMs: number; logger: Logger };
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();

  constructor(deps: {
    db: Kysely<Schema>;
    checkpoints: AuditCheckpoints;
    intervalMs: number;
    logger: Logger;
  }) {
    this.#deps = deps;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      this.#running = this.#running.then(() => this.#checkpoint());
    }, this.#deps.intervalMs);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  async #checkpoint(): Promise<void> {
    try {
      const outcome = await this.#deps.checkpoints.create(this.#deps.db);
      if (outcome?.created)
        this.#deps.logger.info({ seq: outcome.checkpoint.seq }, 'audit checkpoint signed');
    } catch (error) {
      this.#deps.logger.error({ err: error }, 'the audit checkpoint could not be signed');
    }
  }
}
