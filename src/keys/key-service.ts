import type { Kysely } from 'kysely';
import type { AuditContext, AuditLog } from '../audit/audit-log.ts';
import { changeTransaction } from '../audit/change-transaction.ts';
import type { SecretHolder } from '../credentials/credential-rows.ts';
import { hashedSecretRow } from '../credentials/hashed-secret.ts';
import { type RotatingCredential, RotatingSecrets } from '../credentials/rotating-secrets.ts';
import { generateCredential } from '../crypto/key-format.ts';
import type { KeyedHasher } from '../crypto/keyed-hash.ts';
import type { Schema } from '../db/schema.ts';
import { uuid7 } from '../db/uuid7.ts';
import type { ChangeBus } from '../events/change-bus.ts';
import { ApiError, notFound } from '../http/api-error.ts';
import type { Page } from '../http/pagination.ts';
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
import { assertValidKeyInput } from './key-input-checks.ts';
import { type KeyListFilter, KeyStore } from './key-store.ts';

export { DEFAULT_OVERLAP_SECONDS } from '../credentials/rotating-secrets.ts';
export type { KeyListFilter } from './key-store.ts';

export interface KeyServiceDeps {
  readonly db: Kysely<Schema>;
  readonly audit: AuditLog;
  readonly changes: ChangeBus;
  readonly hasher: KeyedHasher;
  readonly keyPrefix: string;
  /** The keys' SQL; by default one over `db`. */
  readonly store?: KeyStore;
}

/** A key together with its secret: what create and rotate return, once. */
export interface IssuedKey {
  key: ApiKey;
  secret: string;
}

/**
 * API keys (K1–K3, K5): create, read, replace, rotate with overlap, revoke. Each change and its audit
 * entry commit in one transaction, then caches everywhere are told to forget what they hold.
 */
export class KeyService implements RotatingCredential<ApiKey, IssuedKey> {
  readonly kind = 'api_key';
  readonly store: KeyStore;
  readonly #deps: KeyServiceDeps;
  readonly #secrets: RotatingSecrets<ApiKey>;

  constructor(deps: KeyServiceDeps) {
    this.#deps = deps;
    const store = deps.store ?? new KeyStore(deps.db);
    this.store = store;
    this.#secrets = new RotatingSecrets<ApiKey>(deps.db, deps.audit, {
      target: 'api_key',
      notRotatable: () => new ApiError('key_not_rotatable', 'A revoked key cannot be rotated'),
      load: (db, id, now) => this.#load(db, id, now),
      expireLiveSecrets: (db, id, until) => store.expireLiveSecrets(id, until, db),
      issueSecret: (db, key, now) => this.#issueSecret(db, key.id, key.environment, now),
      update: (db, before, columns) => store.update(before, columns, db),
      changed: () => deps.changes.publish('credentials'),
    });
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
    const issued = await changeTransaction(this.#deps.db, context, async (trx) => {
      await requireActiveIntegrator(trx, input.integrator_id);
      await this.store.insert(
        {
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
        },
        trx,
      );
      const secret = await this.#issueSecret(trx, id, input.environment, now);
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
    const now = Date.now();
    return this.store.list(filter, limit, cursor, (row, secrets) => toApiKey(row, secrets, now));
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
    return this.#secrets.change(id, {
      action: 'key.update',
      context,
      expectedVersion,
      apply: (trx, before) =>
        this.store.update(before, { ...inputColumns(input, now), updated_at: now }, trx),
    });
  }

  /**
   * Issues a new secret at once; the secrets in use keep working until `overlapSeconds` from now
   * (never longer than they already would), then stop by themselves (K3).
   */
  async rotate(id: string, overlapSeconds: number, context: AuditContext): Promise<IssuedKey> {
    return this.#secrets.rotate(id, overlapSeconds, 'key.rotate', context, (key, secret) => ({
      key,
      secret: secret as string,
    }));
  }

  /** Who holds this secret (leak checks), found by its keyed hash; undefined when no secret matches. */
  holderOfSecret(secret: string, now = Date.now()): Promise<SecretHolder | undefined> {
    return this.store.holderOfSecret(this.#deps.hasher.hash(secret), now);
  }

  /** Revokes at once (K5): the next request with any of the key's secrets fails, on every instance. */
  async revoke(id: string, reason: string | null, context: AuditContext): Promise<ApiKey> {
    return this.#secrets.revoke(id, 'key.revoke', context, (now) => ({
      revoked_at: now,
      revoked_reason: reason,
    }));
  }

  async #issueSecret(db: Kysely<Schema>, id: string, environment: Environment, now: number): Promise<string> {
    const secret = generateCredential(this.#deps.keyPrefix, ENVIRONMENT_MARKER[environment]);
    await this.store.insertSecret({ ...hashedSecretRow(secret, this.#deps.hasher, now), key_id: id }, db);
    return secret;
  }

  async #load(db: Kysely<Schema>, id: string, now: number): Promise<ApiKey> {
    const found = await this.store.find(id, db);
    if (!found) throw notFound('API key');
    return toApiKey(found.row, found.secrets, now);
  }
}
