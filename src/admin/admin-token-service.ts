import type { Kysely } from 'kysely';
import type { Actor, AuditContext, AuditLog } from '../audit/audit-log.ts';
import { changeTransaction } from '../audit/change-transaction.ts';
import type { SecretHolder } from '../credentials/credential-rows.ts';
import { digestsEqual } from '../crypto/constant-time.ts';
import { credentialHint, generateCredential, parseCredential } from '../crypto/key-format.ts';
import type { KeyedHasher } from '../crypto/keyed-hash.ts';
import type { Secret } from '../crypto/secret.ts';
import { createLastUseRecorder } from '../db/last-use-recorder.ts';
import type { Schema } from '../db/schema.ts';
import { uuid7 } from '../db/uuid7.ts';
import type { ChangeBus } from '../events/change-bus.ts';
import { ApiError, notFound } from '../http/api-error.ts';
import type { AdminTokenTable } from './admin-schema.ts';
import { type AdminRole, type AdminToken, toAdminToken } from './admin-token.ts';

export interface AdminTokenServiceDeps {
  readonly db: Kysely<Schema>;
  readonly audit: AuditLog;
  readonly changes: ChangeBus;
  readonly hasher: KeyedHasher;
  readonly keyPrefix: string;
}

export interface AuthenticatedAdmin {
  readonly tokenId: string;
  readonly name: string;
  readonly role: AdminRole;
}

export const ADMIN_MARKER = 'admin';
const CACHE_TTL_MS = 1000;
const MAX_CACHED = 10_000;

/** Admin tokens (K9): who may manage credentials, with roles; stored as keyed hashes only. */
export class AdminTokenService {
  readonly #deps: AdminTokenServiceDeps;
  readonly #cache = new Map<string, { row: AdminTokenTable | undefined; loadedAt: number }>();
  readonly #touch: (id: string, now: number) => void;

  constructor(deps: AdminTokenServiceDeps) {
    this.#deps = deps;
    this.#touch = createLastUseRecorder((id, now) =>
      deps.db.updateTable('admin_tokens').set({ last_used_at: now }).where('id', '=', id).execute(),
    );
    deps.changes.subscribe((topic) => {
      if (topic === 'admin_tokens') this.#cache.clear();
    });
  }

  /** Creates a token; the returned secret is shown once and never stored. */
  async create(
    input: { name: string; role: AdminRole; expiresAt?: number | null; source?: AdminToken['source'] },
    context: AuditContext,
    secret = generateCredential(this.#deps.keyPrefix, ADMIN_MARKER),
  ): Promise<{ token: AdminToken; secret: string }> {
    const now = Date.now();
    const row: AdminTokenTable = {
      id: uuid7(now),
      name: input.name,
      role: input.role,
      token_hash: this.#deps.hasher.hash(secret),
      hint: credentialHint(secret),
      source: input.source ?? 'api',
      created_at: now,
      created_by: context.actor.id,
      last_used_at: null,
      expires_at: input.expiresAt ?? null,
      revoked_at: null,
    };
    const token = toAdminToken(row, now);
    const issued = await changeTransaction(this.#deps.db, context, async (trx) => {
      await trx.insertInto('admin_tokens').values(row).execute();
      await this.#deps.audit.append(trx, {
        ...context,
        action: 'admin_token.create',
        target: { type: 'admin_token', id: row.id },
        after: token,
      });
      return { token, secret };
    });
    this.#deps.changes.publish('admin_tokens');
    return issued;
  }

  async list(): Promise<AdminToken[]> {
    const rows = await this.#deps.db.selectFrom('admin_tokens').selectAll().orderBy('id', 'desc').execute();
    return rows.map((row) => toAdminToken(row));
  }

  async revoke(id: string, context: AuditContext): Promise<AdminToken> {
    const revoked = await changeTransaction(this.#deps.db, context, async (trx) => {
      const row = await trx.selectFrom('admin_tokens').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw notFound('Admin token');
      const before = toAdminToken(row);
      if (before.status !== 'active') return before;
      // Concurrent revocations of two owners must not each count the other as the one left.
      if (row.role === 'owner') await this.#deps.audit.lockChain(trx);
      if (row.role === 'owner' && (await this.#activeOwnerCount(trx)) <= 1) {
        throw new ApiError(
          'last_owner',
          'The last active owner token cannot be revoked; create another owner first',
        );
      }
      const now = Date.now();
      await trx.updateTable('admin_tokens').set({ revoked_at: now }).where('id', '=', id).execute();
      const after = toAdminToken({ ...row, revoked_at: now }, now);
      await this.#deps.audit.append(trx, {
        ...context,
        action: 'admin_token.revoke',
        target: { type: 'admin_token', id },
        before,
        after,
      });
      return after;
    });
    this.#deps.changes.publish('admin_tokens');
    return revoked;
  }

  /** Checks a presented bearer token; undefined for anything not currently valid. */
  async authenticate(presented: string, now = Date.now()): Promise<AuthenticatedAdmin | undefined> {
    // A token in Gatehouse's format must pass its checksum; GATEHOUSE_ADMIN_TOKEN may be any long random string.
    const parsed = parseCredential(presented);
    if (
      parsed.ok ? parsed.credential.marker !== ADMIN_MARKER : presented.length < 32 || presented.length > 512
    ) {
      return undefined;
    }
    const digest = this.#deps.hasher.digest(presented);
    const hash = digest.toString('base64url');
    let cached = this.#cache.get(hash);
    if (!cached || now - cached.loadedAt > CACHE_TTL_MS) {
      const row = await this.#deps.db
        .selectFrom('admin_tokens')
        .selectAll()
        .where('token_hash', '=', hash)
        .executeTakeFirst();
      cached = { row, loadedAt: now };
      if (this.#cache.size >= MAX_CACHED) this.#cache.clear();
      this.#cache.set(hash, cached);
    }
    const row = cached.row;
    if (!row || !digestsEqual(Buffer.from(row.token_hash, 'base64url'), digest)) return undefined;
    if (row.revoked_at !== null || (row.expires_at !== null && row.expires_at <= now)) return undefined;
    this.#touch(row.id, now);
    return { tokenId: row.id, name: row.name, role: row.role as AdminRole };
  }

  /**
   * The admin a token id stands for while that token is valid, or undefined once it is revoked or
   * expired: console sessions hold the id, never the token, and check it on every request.
   */
  async activeById(id: string, now = Date.now()): Promise<AuthenticatedAdmin | undefined> {
    const row = await this.#deps.db
      .selectFrom('admin_tokens')
      .select(['id', 'name', 'role', 'revoked_at', 'expires_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row || row.revoked_at !== null || (row.expires_at !== null && row.expires_at <= now))
      return undefined;
    return { tokenId: row.id, name: row.name, role: row.role as AdminRole };
  }

  /**
   * The id of the admin token with this secret, whatever its state, or undefined: to name an
   * exposed token in a security event. Unlike `authenticate`, it does not count as a use.
   */
  async idOf(presented: string): Promise<string | undefined> {
    return (await this.holderOfToken(presented))?.id;
  }

  /** Who holds this admin token (leak checks): its id, and whether it still works. */
  async holderOfToken(presented: string, now = Date.now()): Promise<SecretHolder | undefined> {
    const parsed = parseCredential(presented);
    if (!parsed.ok || parsed.credential.marker !== ADMIN_MARKER) return undefined;
    const row = await this.#deps.db
      .selectFrom('admin_tokens')
      .select(['id', 'revoked_at', 'expires_at'])
      .where('token_hash', '=', this.#deps.hasher.hash(presented))
      .executeTakeFirst();
    if (!row) return undefined;
    const live = row.revoked_at === null && (row.expires_at === null || row.expires_at > now);
    return { id: row.id, integratorId: null, environment: null, live };
  }

  /**
   * First start: `GATEHOUSE_ADMIN_TOKEN` becomes the owner token (replacing an earlier one from the
   * environment); without it, and with no token at all, a random owner token is created. Returns the
   * secret only when it was generated here, so the caller can show it once on the terminal.
   */
  async ensureOwnerToken(fromEnvironment: Secret | null): Promise<string | undefined> {
    const system: AuditContext = { actor: { type: 'system', id: null, name: 'gatehouse' } satisfies Actor };
    if (fromEnvironment) {
      const hash = this.#deps.hasher.hash(fromEnvironment.reveal());
      const existing = await this.#deps.db
        .selectFrom('admin_tokens')
        .select('id')
        .where('token_hash', '=', hash)
        .executeTakeFirst();
      if (existing) return undefined;
      const previous = await this.#deps.db
        .selectFrom('admin_tokens')
        .select('id')
        .where('source', '=', 'environment')
        .where('revoked_at', 'is', null)
        .execute();
      await this.create(
        { name: 'owner (GATEHOUSE_ADMIN_TOKEN)', role: 'owner', source: 'environment' },
        system,
        fromEnvironment.reveal(),
      );
      for (const { id } of previous) await this.revoke(id, system);
      return undefined;
    }
    const any = await this.#deps.db.selectFrom('admin_tokens').select('id').limit(1).executeTakeFirst();
    if (any) return undefined;
    const { secret } = await this.create(
      { name: 'owner (generated at first start)', role: 'owner', source: 'generated' },
      system,
    );
    return secret;
  }

  async #activeOwnerCount(trx: Kysely<Schema>): Promise<number> {
    const now = Date.now();
    const rows = await trx
      .selectFrom('admin_tokens')
      .select('id')
      .where('role', '=', 'owner')
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .execute();
    return rows.length;
  }
}
