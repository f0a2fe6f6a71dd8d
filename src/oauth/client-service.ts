import type { Kysely } from 'kysely';
import type { AuditContext, AuditLog } from '../audit/audit-log.ts';
import { credentialHint, generateCredential } from '../crypto/key-format.ts';
import type { KeyedHasher } from '../crypto/keyed-hash.ts';
import type { Schema } from '../db/schema.ts';
import { uuid7 } from '../db/uuid7.ts';
import type { ChangeBus } from '../events/change-bus.ts';
import { ApiError, invalidRequest, notFound } from '../http/api-error.ts';
import { staleVersion } from '../http/etag.ts';
import { decodeCursor, type Page, pageOf } from '../http/pagination.ts';
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
    const issued = await this.#deps.db.transaction().execute(async (trx) => {
      const integrator = await trx
        .selectFrom('integrators')
        .select('status')
        .where('id', '=', input.integrator_id)
        .executeTakeFirst();
      if (!integrator)
        throw invalidRequest([{ field: '/integrator_id', message: 'no integrator has this id' }]);
      if (integrator.status !== 'active')
        throw new ApiError(409, 'integrator_disabled', 'The integrator is disabled');
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
      await this.#insertSecret(trx, id, secret, now);
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
    const updated = await this.#deps.db.transaction().execute(async (trx) => {
      const before = await this.#load(trx, id, now);
      if (expectedVersion !== undefined && before.version !== expectedVersion) throw staleVersion();
      const result = await trx
        .updateTable('oauth_clients')
        .set({ ...clientColumns(input), version: before.version + 1, updated_at: now })
        .where('id', '=', id)
        .where('version', '=', before.version)
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) throw staleVersion();
      const after = await this.#load(trx, id, now);
      await this.#deps.audit.append(trx, {
        ...context,
        action: 'oauth_client.update',
        target: { type: 'oauth_client', id },
        before,
        after,
      });
      return after;
    });
    this.#deps.changes.publish('credentials');
    return updated;
  }

  /** A new secret at once; the current ones keep working until `overlapSeconds` from now (K3). */
  async rotateSecret(id: string, overlapSeconds: number, context: AuditContext): Promise<IssuedClient> {
    const now = Date.now();
    const issued = await this.#deps.db.transaction().execute(async (trx) => {
      const before = await this.#load(trx, id, now);
      if (before.status === 'revoked')
        throw new ApiError(409, 'client_revoked', 'A revoked client cannot get a new secret');
      const secret = generateCredential(this.#deps.keyPrefix, CLIENT_SECRET_MARKER[before.environment]);
      const overlapEnd = now + overlapSeconds * 1000;
      await trx
        .updateTable('oauth_client_secrets')
        .set({ expires_at: overlapEnd })
        .where('client_id', '=', id)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', overlapEnd)]))
        .execute();
      await this.#insertSecret(trx, id, secret, now);
      await trx
        .updateTable('oauth_clients')
        .set({ version: before.version + 1, updated_at: now })
        .where('id', '=', id)
        .execute();
      const after = await this.#load(trx, id, now);
      await this.#deps.audit.append(trx, {
        ...context,
        action: 'oauth_client.rotate_secret',
        target: { type: 'oauth_client', id },
        before,
        after: { ...after, overlap_seconds: overlapSeconds },
      });
      return { client: after, secret };
    });
    this.#deps.changes.publish('credentials');
    return issued;
  }

  /** Revokes the client: no new tokens, and its unexpired tokens are refused from now on. */
  async revoke(id: string, context: AuditContext): Promise<OAuthClient> {
    const now = Date.now();
    const revoked = await this.#deps.db.transaction().execute(async (trx) => {
      const before = await this.#load(trx, id, now);
      if (before.status === 'revoked') return before;
      await trx
        .updateTable('oauth_clients')
        .set({ revoked_at: now, version: before.version + 1, updated_at: now })
        .where('id', '=', id)
        .execute();
      const after = await this.#load(trx, id, now);
      await this.#deps.audit.append(trx, {
        ...context,
        action: 'oauth_client.revoke',
        target: { type: 'oauth_client', id },
        before,
        after,
      });
      return after;
    });
    this.#deps.changes.publish('credentials');
    return revoked;
  }

  async #insertSecret(trx: Kysely<Schema>, clientId: string, secret: string, now: number): Promise<void> {
    await trx
      .insertInto('oauth_client_secrets')
      .values({
        id: uuid7(now),
        client_id: clientId,
        secret_hash: this.#deps.hasher.hash(secret),
        hint: credentialHint(secret),
        created_at: now,
        expires_at: null,
      })
      .execute();
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
