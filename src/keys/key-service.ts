import type { Kysely } from 'kysely';
import type { AuditContext, AuditLog } from '../audit/audit-log.ts';
import { type AuditedChange, applyAuditedChange, updateVersioned } from '../audit/audited-change.ts';
import { changeTransaction } from '../audit/change-transaction.ts';
import { generateCredential } from '../crypto/key-format.ts';
import type { KeyedHasher } from '../crypto/keyed-hash.ts';
import type { Schema } from '../db/schema.ts';
import { uuid7 } from '../db/uuid7.ts';
import type { ChangeBus } from '../events/change-bus.ts';
import { ApiError, notFound } from '../http/api-error.ts';
import { decodeCursor, type Page, pageOf } from '../http/pagination.ts';
import { requireActiveIntegrator } from '../integrators/require-active-integrator.ts';
import {
  type ApiKey,
  type CreateKeyInput,
  ENVIRONMENT_MARKER,
  type Environment,
  inputColumns,
  type KeyInput,
  toApiKey,
} from './api-key.ts';
import { insertHashedSecret, KEY_SECRETS, rotateHashedSecret } from './hashed-secrets.ts';
import { assertValidKeyInput } from './key-input-checks.ts';

export interface KeyServiceDeps {
  readonly db: Kysely<Schema>;
  readonly audit: AuditLog;
  readonly changes: ChangeBus;
  readonly hasher: KeyedHasher;
  readonly keyPrefix: string;
}

export interface KeyListFilter {
  integratorId?: string | undefined;
  environment?: Environment | undefined;
  status?: 'active' | 'revoked' | undefined;
}

/** A key together with its secret: what create and rotate return, once. */
export interface IssuedKey {
  key: ApiKey;
  secret: string;
}

export const DEFAULT_OVERLAP_SECONDS = 24 * 3600;

/**
 * API keys (K1–K3, K5): create, read, replace, rotate with overlap, revoke. Each change and its audit
 * entry commit in one transaction, then caches everywhere are told to forget what they hold.
 */
export class KeyService {
  readonly #deps: KeyServiceDeps;

  constructor(deps: KeyServiceDeps) {
    this.#deps = deps;
  }

  async create(input: CreateKeyInput, context: AuditContext): Promise<IssuedKey> {
    const now = Date.now();
    assertValidKeyInput(input, { creating: true, now });
    const full: KeyInput = {
      name: input.name,
      owner: input.owner ?? null,
      scopes: input.scopes ?? [],
      allowed_ips: input.allowed_ips ?? [],
      expires_at: input.expires_at ?? null,
      metadata: input.metadata ?? {},
      usage_limit: input.usage_limit ?? null,
      rate_limit: input.rate_limit ?? null,
    };
    const id = uuid7(now);
    const secret = generateCredential(this.#deps.keyPrefix, ENVIRONMENT_MARKER[input.environment]);
    const issued = await changeTransaction(this.#deps.db, context, async (trx) => {
      await requireActiveIntegrator(trx, input.integrator_id);
      await trx
        .insertInto('api_keys')
        .values({
          id,
          integrator_id: input.integrator_id,
          environment: input.environment,
          ...inputColumns(full, now),
          revoked_at: null,
          revoked_reason: null,
          last_used_at: null,
          version: 1,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await insertHashedSecret(trx, KEY_SECRETS, id, secret, this.#deps.hasher, now);
      const key = await this.#load(trx, id, now);
      await this.#deps.audit.append(trx, {
        ...context,
        action: 'key.create',
        target: { type: 'api_key', id },
        after: key,
      });
      return { key, secret };
    });
    this.#deps.changes.publish('credentials');
    return issued;
  }

  async get(id: string): Promise<ApiKey> {
    return this.#load(this.#deps.db, id, Date.now());
  }

  async list(filter: KeyListFilter, limit: number, cursor: string | undefined): Promise<Page<ApiKey>> {
    let query = this.#deps.db
      .selectFrom('api_keys')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(limit + 1);
    if (cursor !== undefined) query = query.where('id', '<', decodeCursor<string>(cursor, 'string'));
    if (filter.integratorId !== undefined) query = query.where('integrator_id', '=', filter.integratorId);
    if (filter.environment !== undefined) query = query.where('environment', '=', filter.environment);
    if (filter.status === 'revoked') query = query.where('revoked_at', 'is not', null);
    if (filter.status === 'active') query = query.where('revoked_at', 'is', null);
    const rows = await query.execute();
    const ids = rows.map((row) => row.id);
    const secrets =
      ids.length === 0
        ? []
        : await this.#deps.db.selectFrom('api_key_secrets').selectAll().where('key_id', 'in', ids).execute();
    const now = Date.now();
    return pageOf(
      rows,
      limit,
      (row) =>
        toApiKey(
          row,
          secrets.filter((s) => s.key_id === row.id),
          now,
        ),
      (row) => row.id,
    );
  }

  /** Replaces every writable field (C4); `expectedVersion` comes from If-Match. */
  async replace(
    id: string,
    input: KeyInput,
    expectedVersion: number | undefined,
    context: AuditContext,
  ): Promise<ApiKey> {
    const now = Date.now();
    assertValidKeyInput(input, { creating: false, now });
    return this.#change(id, context, 'key.update', expectedVersion, (trx, before) =>
      updateVersioned(trx, 'api_keys', before, { ...inputColumns(input, now), updated_at: now }),
    );
  }

  /**
   * Issues a new secret at once; the secrets in use keep working until `overlapSeconds` from now
   * (never longer than they already would), then stop by themselves (K3).
   */
  async rotate(id: string, overlapSeconds: number, context: AuditContext): Promise<IssuedKey> {
    const now = Date.now();
    let secret = '';
    return this.#change(
      id,
      context,
      'key.rotate',
      undefined,
      async (trx, before) => {
        if (before.status === 'revoked')
          throw new ApiError('key_not_rotatable', 'A revoked key cannot be rotated');
        secret = generateCredential(this.#deps.keyPrefix, ENVIRONMENT_MARKER[before.environment]);
        await rotateHashedSecret(
          trx,
          KEY_SECRETS,
          id,
          secret,
          this.#deps.hasher,
          now,
          now + overlapSeconds * 1000,
        );
        return updateVersioned(trx, 'api_keys', before, { updated_at: now });
      },
      (after) => ({ ...after, overlap_seconds: overlapSeconds }),
      (key): IssuedKey => ({ key, secret }),
    );
  }

  /** Revokes at once (K5): the next request with any of the key's secrets fails, on every instance. */
  async revoke(id: string, reason: string | null, context: AuditContext): Promise<ApiKey> {
    const now = Date.now();
    return this.#change(id, context, 'key.revoke', undefined, (trx, before) =>
      before.status === 'revoked'
        ? Promise.resolve('unchanged' as const)
        : updateVersioned(trx, 'api_keys', before, {
            revoked_at: now,
            revoked_reason: reason,
            updated_at: now,
          }),
    );
  }

  /** A change and its audit entry in one transaction; then every instance's caches forget the key. */
  async #change<R = ApiKey>(
    id: string,
    context: AuditContext,
    action: string,
    expectedVersion: number | undefined,
    apply: AuditedChange<ApiKey>['apply'],
    recordAfter?: (after: ApiKey) => unknown,
    result?: (after: ApiKey) => R,
  ): Promise<R> {
    const changed = await applyAuditedChange<ApiKey, R>(this.#deps.db, this.#deps.audit, {
      action,
      target: { type: 'api_key', id },
      context,
      expectedVersion,
      load: (trx) => this.#load(trx, id, Date.now()),
      apply,
      ...(recordAfter ? { recordAfter } : {}),
      ...(result ? { result } : {}),
    });
    this.#deps.changes.publish('credentials');
    return changed;
  }

  async #load(db: Kysely<Schema>, id: string, now: number): Promise<ApiKey> {
    const row = await db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('API key');
    const secrets = await db
      .selectFrom('api_key_secrets')
      .selectAll()
      .where('key_id', '=', id)
      .orderBy('id')
      .execute();
    return toApiKey(row, secrets, now);
  }
}
