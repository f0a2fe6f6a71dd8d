import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Schema } from '../db/schema.ts';
import type { ChangeBus } from '../events/change-bus.ts';

/** Revocations by other instances are looked for this often when no Redis announces them. */
const POLL_INTERVAL_MS = 500;
/** Rows are read back a little before the last one seen, for clocks that disagree slightly. */
const CLOCK_MARGIN_MS = 5_000;
const PURGE_INTERVAL_MS = 60_000;

/**
 * The revoked access tokens (RFC 7009) that have not expired yet, held in memory so the gateway
 * checks a token with one map lookup. A revocation is seen at once on this instance, through the
 * change bus on the others, and — without Redis on a shared database — by polling every 500 ms.
 */
export class RevokedTokens {
  readonly #db: Kysely<Schema>;
  readonly #changes: ChangeBus;
  readonly #logger: Logger;
  readonly #jtis = new Map<string, number>();
  #watermark = 0;
  #timers: NodeJS.Timeout[] = [];
  #unsubscribe: (() => void) | null = null;

  constructor(deps: { db: Kysely<Schema>; changes: ChangeBus; logger: Logger }) {
    this.#db = deps.db;
    this.#changes = deps.changes;
    this.#logger = deps.logger;
  }

  async start(options: { poll: boolean }): Promise<void> {
    await this.#refresh(true);
    this.#unsubscribe = this.#changes.subscribe((topic) => {
      if (topic === 'revoked_tokens') this.#refreshQuietly();
    });
    if (options.poll) this.#timers.push(setInterval(() => this.#refreshQuietly(), POLL_INTERVAL_MS).unref());
    this.#timers.push(setInterval(() => this.#purge(), PURGE_INTERVAL_MS).unref());
  }

  isRevoked(jti: string): boolean {
    return this.#jtis.has(jti);
  }

  async revoke(jti: string, clientId: string, expiresAtMs: number, now = Date.now()): Promise<void> {
    await this.#db
      .insertInto('oauth_revoked_tokens')
      .values({ jti, client_id: clientId, expires_at: expiresAtMs, revoked_at: now })
      .onConflict((conflict) => conflict.column('jti').doNothing())
      .execute();
    this.#jtis.set(jti, expiresAtMs);
    this.#changes.publish('revoked_tokens');
  }

  stop(): void {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    this.#unsubscribe?.();
  }

  async #refresh(all = false): Promise<void> {
    const now = Date.now();
    let query = this.#db
      .selectFrom('oauth_revoked_tokens')
      .select(['jti', 'expires_at', 'revoked_at'])
      .where('expires_at', '>', now);
    if (!all) query = query.where('revoked_at', '>=', this.#watermark - CLOCK_MARGIN_MS);
    for (const row of await query.execute()) {
      this.#jtis.set(row.jti, row.expires_at);
      if (row.revoked_at > this.#watermark) this.#watermark = row.revoked_at;
    }
  }

  #refreshQuietly(): void {
    this.#refresh().catch((error: unknown) =>
      this.#logger.warn({ err: error }, 'could not refresh revoked tokens'),
    );
  }

  #purge(now = Date.now()): void {
    for (const [jti, expiresAt] of this.#jtis) if (expiresAt <= now) this.#jtis.delete(jti);
    this.#db
      .deleteFrom('oauth_revoked_tokens')
      .where('expires_at', '<=', now)
      .execute()
      .catch((error: unknown) => this.#logger.warn({ err: error }, 'could not purge expired revocations'));
  }
}
