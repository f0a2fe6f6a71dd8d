import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AdminTokenService, AuthenticatedAdmin } from '../admin/admin-token-service.ts';
import { safeEqual } from '../crypto/constant-time.ts';
import type { KeyedHasher } from '../crypto/keyed-hash.ts';
import type { Schema } from '../db/schema.ts';
import type { ConsoleConfig } from './console-config.ts';

/** A session that is still valid, as a request sees it. */
export interface ConsoleSession {
  readonly admin: AuthenticatedAdmin;
  /** The per-session token every form carries back (CSRF). */
  readonly csrfToken: string;
  /** The keyed hash of the session id: names the session without being it. */
  readonly idHash: string;
}

export interface ConsoleSessionsDeps {
  readonly db: Kysely<Schema>;
  readonly adminTokens: AdminTokenService;
  /** Keyed with the server's pepper; hashes session ids (stored) and derives CSRF tokens. */
  readonly hasher: KeyedHasher;
  readonly config: ConsoleConfig;
}

/** Touching a session's last use more often than this would write on every page view. */
const MAX_TOUCH_INTERVAL_MS = 5000;
/** Session ids are 256 random bits, base64url: 43 characters. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/**
 * Console sessions: an admin token is exchanged once for a random session id; the database keeps
 * only its keyed hash. A session ends when idle too long, at its absolute lifetime, at sign-out, or
 * as soon as its admin token is revoked or expires (checked on every request).
 */
export class ConsoleSessions {
  readonly #deps: ConsoleSessionsDeps;

  constructor(deps: ConsoleSessionsDeps) {
    this.#deps = deps;
  }

  /** Starts a session for an authenticated admin; the returned id goes only into the cookie. */
  async start(admin: AuthenticatedAdmin, now = Date.now()): Promise<string> {
    const sessionId = randomBytes(32).toString('base64url');
    const { db, hasher, config } = this.#deps;
    await db.deleteFrom('console_sessions').where('expires_at', '<=', now).execute();
    await db
      .insertInto('console_sessions')
      .values({
        id_hash: hasher.hash(`session:${sessionId}`),
        admin_token_id: admin.tokenId,
        created_at: now,
        last_seen_at: now,
        expires_at: now + config.sessionLifetimeMs,
      })
      .execute();
    return sessionId;
  }

  /** The valid session with this id, or undefined (and an ended session is deleted). */
  async resume(sessionId: string, now = Date.now()): Promise<ConsoleSession | undefined> {
    if (!SESSION_ID.test(sessionId)) return undefined;
    const { db, hasher, config, adminTokens } = this.#deps;
    const idHash = hasher.hash(`session:${sessionId}`);
    const row = await db
      .selectFrom('console_sessions')
      .selectAll()
      .where('id_hash', '=', idHash)
      .executeTakeFirst();
    if (!row || !safeEqual(row.id_hash, idHash)) return undefined;
    const ended = now >= row.expires_at || now - row.last_seen_at >= config.idleTimeoutMs;
    const admin = ended ? undefined : await adminTokens.activeById(row.admin_token_id, now);
    if (!admin) {
      await db.deleteFrom('console_sessions').where('id_hash', '=', idHash).execute();
      return undefined;
    }
    if (now - row.last_seen_at >= Math.min(MAX_TOUCH_INTERVAL_MS, config.idleTimeoutMs / 10)) {
      await db
        .updateTable('console_sessions')
        .set({ last_seen_at: now })
        .where('id_hash', '=', idHash)
        .execute();
    }
    return { admin, idHash, csrfToken: this.csrfTokenOf(sessionId) };
  }

  /** Ends a session (sign-out); ending one that does not exist is not an error. */
  async end(sessionId: string): Promise<void> {
    if (!SESSION_ID.test(sessionId)) return;
    const idHash = this.#deps.hasher.hash(`session:${sessionId}`);
    await this.#deps.db.deleteFrom('console_sessions').where('id_hash', '=', idHash).execute();
  }

  /** Whether a submitted CSRF token is this session's (constant time). */
  csrfTokenMatches(session: ConsoleSession, submitted: unknown): boolean {
    return typeof submitted === 'string' && submitted.length > 0 && safeEqual(submitted, session.csrfToken);
  }

  csrfTokenOf(sessionId: string): string {
    return this.#deps.hasher.hash(`csrf:${sessionId}`);
  }
}
