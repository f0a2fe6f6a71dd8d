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
import type { Environment } from '../keys/api-key.ts';
import { assertValidKeyInput } from '../keys/key-input-checks.ts';
import { ClientStore } from './client-store.ts';
import {
  CLIENT_SECRET_MARKER,
  type ClientInput,
  type CreateClientInput,
  clientColumns,
  DEFAULT_TOKEN_TTL_SECONDS,
  type OAuthClient,
  toOAuthClient,
} from './oauth-client.ts';

export interface ClientServiceDeps {
  readonly db: Kysely<Schema>;
  readonly audit: AuditLog;
  readonly changes: ChangeBus;
  readonly hasher: KeyedHasher;
  readonly keyPrefix: string;
  /** The clients' SQL; by default one over `db`. */
  readonly store?: ClientStore;
}

/** A client together with its secret: what create and rotate return, once. */
export interface IssuedClient {
  client: OAuthClient;
  secret: string;
}

/**
 * OAuth clients (K6, K3): create, read, replace, rotate the secret with overlap, revoke. Changes and
 * their audit entries commit together; then every instance's caches are told to forget.
 */
export class ClientService implements RotatingCredential<OAuthClient, IssuedClient> {
  readonly kind = 'oauth_client';
  readonly store: ClientStore;
  readonly #deps: ClientServiceDeps;
  readonly #secrets: RotatingSecrets<OAuthClient>;

  constructor(deps: ClientServiceDeps) {
    this.#deps = deps;
    const store = deps.store ?? new ClientStore(deps.db);
    this.store = store;
    this.#secrets = new RotatingSecrets<OAuthClient>(deps.db, deps.audit, {
      target: 'oauth_client',
      notRotatable: () => new ApiError('client_revoked', 'A revoked client cannot get a new secret'),
      load: (db, id, now) => this.#load(db, id, now),
      expireLiveSecrets: (db, id, until) => store.expireLiveSecrets(id, until, db),
      issueSecret: (db, client, now) => this.#issueSecret(db, client.id, client.environment, now),
      update: (db, before, columns) => store.update(before, columns, db),
      changed: () => deps.changes.publish('credentials'),
    });
  }

  async create(input: CreateClientInput, context: AuditContext): Promise<IssuedClient> {
    const now = Date.now();
    const full: ClientInput = {
      name: input.name,
      scopes: input.scopes ?? [],
      allowed_ips: input.allowed_ips ?? [],
      token_ttl_seconds: input.token_ttl_seconds ?? DEFAULT_TOKEN_TTL_SECONDS,
      metadata: input.metadata ?? {},
      rate_limit: input.rate_limit ?? null,
    };
    assertValidKeyInput(full, { creating: true, now });
    const id = uuid7(now);
    const issued = await changeTransaction(this.#deps.db, context, async (trx) => {
      await requireActiveIntegrator(trx, input.integrator_id);
      await this.store.insert(
        {
          id,
          integrator_id: input.integrator_id,
          environment: input.environment,
          ...clientColumns(full),
          revoked_at: null,
          last_used_at: null,
          version: 1,
          created_at: now,
          updated_at: now,
        },
        trx,
      );
      const secret = await this.#issueSecret(trx, id, input.environment, now);
      const client = await this.#load(trx, id, now);
      await this.#deps.audit.append(trx, {
        ...context,
        action: 'oauth_client.create',
        target: { type: 'oauth_client', id },
        after: client,
      });
      return { client, secret };
    });
    this.#deps.changes.publish('credentials');
    return issued;
  }

  async get(id: string): Promise<OAuthClient> {
    return this.#load(this.#deps.db, id, Date.now());
  }

  async list(
    integratorId: string | undefined,
    limit: number,
    cursor: string | undefined,
  ): Promise<Page<OAuthClient>> {
    const now = Date.now();
    return this.store.list(integratorId, limit, cursor, (row, secrets) => toOAuthClient(row, secrets, now));
  }

  async replace(
    id: string,
    input: ClientInput,
    expectedVersion: number | undefined,
    context: AuditContext,
  ): Promise<OAuthClient> {
    const now = Date.now();
    assertValidKeyInput(input, { creating: false, now });
    return this.#secrets.change(id, {
      action: 'oauth_client.update',
      context,
      expectedVersion,
      apply: (trx, before) => this.store.update(before, { ...clientColumns(input), updated_at: now }, trx),
    });
  }

  /** A new secret at once; the current ones keep working until `overlapSeconds` from now (K3). */
  async rotate(id: string, overlapSeconds: number, context: AuditContext): Promise<IssuedClient> {
    return this.#secrets.rotate(
      id,
      overlapSeconds,
      'oauth_client.rotate_secret',
      context,
      (client, secret) => ({
        client,
        secret: secret as string,
      }),
    );
  }

  /** Who holds this secret (leak checks), found by its keyed hash; undefined when no secret matches. */
  holderOfSecret(secret: string, now = Date.now()): Promise<SecretHolder | undefined> {
    return this.store.holderOfSecret(this.#deps.hasher.hash(secret), now);
  }

  /**
   * Revokes the client: no new tokens, and its unexpired tokens are refused from now on. Clients keep
   * no revocation reason; `_reason` is accepted so every credential kind revokes alike.
   */
  async revoke(id: string, _reason: string | null, context: AuditContext): Promise<OAuthClient> {
    return this.#secrets.revoke(id, 'oauth_client.revoke', context, (now) => ({ revoked_at: now }));
  }

  async #issueSecret(db: Kysely<Schema>, id: string, environment: Environment, now: number): Promise<string> {
    const secret = generateCredential(this.#deps.keyPrefix, CLIENT_SECRET_MARKER[environment]);
    await this.store.insertSecret({ ...hashedSecretRow(secret, this.#deps.hasher, now), client_id: id }, db);
    return secret;
  }

  async #load(db: Kysely<Schema>, id: string, now: number): Promise<OAuthClient> {
    const found = await this.store.find(id, db);
    if (!found) throw notFound('OAuth client');
    return toOAuthClient(found.row, found.secrets, now);
  }
}
