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
import { CLIENT_SECRETS, insertHashedSecret, rotateHashedSecret } from '../keys/hashed-secrets.ts';
import { assertValidKeyInput } from '../keys/key-input-checks.ts';
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
export class ClientService {
  readonly #deps: ClientServiceDeps;

  constructor(deps: ClientServiceDeps) {
    this.#deps = deps;
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
    const secret = generateCredential(this.#deps.keyPrefix, CLIENT_SECRET_MARKER[input.environment]);
    const issued = await changeTransaction(this.#deps.db, context, async (trx) => {
      await requireActiveIntegrator(trx, input.integrator_id);
      await trx
        .insertInto('oauth_clients')
        .values({
          id,
          integrator_id: input.integrator_id,
          environment: input.environment,
          ...clientColumns(full),
          revoked_at: null,
          last_used_at: null,
          version: 1,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await insertHashedSecret(trx, CLIENT_SECRETS, id, secret, this.#deps.hasher, now);
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
    let query = this.#deps.db
      .selectFrom('oauth_clients')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(limit + 1);
    if (cursor !== undefined) query = query.where('id', '<', decodeCursor<string>(cursor, 'string'));
    if (integratorId !== undefined) query = query.where('integrator_id', '=', integratorId);
    const rows = await query.execute();
    const ids = rows.map((row) => row.id);
    const secrets =
      ids.length === 0
        ? []
        : await this.#deps.db
            .selectFrom('oauth_client_secrets')
            .selectAll()
            .where('client_id', 'in', ids)
            .execute();
    const now = Date.now();
    return pageOf(
      rows,
      limit,
      (row) =>
        toOAuthClient(
          row,
          secrets.filter((s) => s.client_id === row.id),
          now,
        ),
      (row) => row.id,
    );
  }

  async replace(
    id: string,
    input: ClientInput,
    expectedVersion: number | undefined,
    context: AuditContext,
  ): Promise<OAuthClient> {
    const now = Date.now();
    assertValidKeyInput(input, { creating: false, now });
    return this.#change(id, context, 'oauth_client.update', expectedVersion, (trx, before) =>
      updateVersioned(trx, 'oauth_clients', before, { ...clientColumns(input), updated_at: now }),
    );
  }

  /** A new secret at once; the current ones keep working until `overlapSeconds` from now (K3). */
  async rotateSecret(id: string, overlapSeconds: number, context: AuditContext): Promise<IssuedClient> {
    const now = Date.now();
    let secret = '';
    return this.#change(
      id,
      context,
      'oauth_client.rotate_secret',
      undefined,
      async (trx, before) => {
        if (before.status === 'revoked')
          throw new ApiError('client_revoked', 'A revoked client cannot get a new secret');
        secret = generateCredential(this.#deps.keyPrefix, CLIENT_SECRET_MARKER[before.environment]);
        await rotateHashedSecret(
          trx,
          CLIENT_SECRETS,
          id,
          secret,
          this.#deps.hasher,
          now,
          now + overlapSeconds * 1000,
        );
        return updateVersioned(trx, 'oauth_clients', before, { updated_at: now });
      },
      (after) => ({ ...after, overlap_seconds: overlapSeconds }),
      (client): IssuedClient => ({ client, secret }),
    );
  }

  /** Revokes the client: no new tokens, and its unexpired tokens are refused from now on. */
  async revoke(id: string, context: AuditContext): Promise<OAuthClient> {
    const now = Date.now();
    return this.#change(id, context, 'oauth_client.revoke', undefined, (trx, before) =>
      before.status === 'revoked'
        ? Promise.resolve('unchanged' as const)
        : updateVersioned(trx, 'oauth_clients', before, { revoked_at: now, updated_at: now }),
    );
  }

  /** A change and its audit entry in one transaction; then every instance's caches forget the client. */
  async #change<R = OAuthClient>(
    id: string,
    context: AuditContext,
    action: string,
    expectedVersion: number | undefined,
    apply: AuditedChange<OAuthClient>['apply'],
    recordAfter?: (after: OAuthClient) => unknown,
    result?: (after: OAuthClient) => R,
  ): Promise<R> {
    const changed = await applyAuditedChange<OAuthClient, R>(this.#deps.db, this.#deps.audit, {
      action,
      target: { type: 'oauth_client', id },
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

  async #load(db: Kysely<Schema>, id: string, now: number): Promise<OAuthClient> {
    const row = await db.selectFrom('oauth_clients').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('OAuth client');
    const secrets = await db
      .selectFrom('oauth_client_secrets')
      .selectAll()
      .where('client_id', '=', id)
      .orderBy('id')
      .execute();
    return toOAuthClient(row, secrets, now);
  }
}
