import type { Insertable, Kysely, Updateable, UpdateResult } from 'kysely';
import { updateVersioned } from '../audit/audited-change.ts';
import type { Schema } from '../db/schema.ts';
import type { Environment } from '../environments/environment.ts';
import { decodeCursor, type Page, pageOf } from '../http/pagination.ts';

/**
 * The tables of one kind of credential, named by the store that owns them: a versioned table and a
 * table of its secrets. The secret tables share `id`, `created_at`, `expires_at` and differ in their
 * owner column, so the SQL of reading, paging and rotating lives here once.
 */
export type CredentialTables =
  | { readonly table: 'api_keys'; readonly secrets: 'api_key_secrets'; readonly owner: 'key_id' }
  | { readonly table: 'oauth_clients'; readonly secrets: 'oauth_client_secrets'; readonly owner: 'client_id' }
  | {
      readonly table: 'webhook_endpoints';
      readonly secrets: 'webhook_endpoint_secrets';
      readonly owner: 'endpoint_id';
    };

/** Who holds a secret, found by its keyed hash: the credential, and whether the secret still works. */
export interface SecretHolder {
  readonly id: string;
  readonly integratorId: string | null;
  /** The environment the credential serves; null for admin tokens. */
  readonly environment: Environment | null;
  readonly live: boolean;
}

/** What a list may narrow by: equal columns (undefined: any), and revoked or not. */
export interface RowFilter {
  readonly equal: Readonly<Record<string, string | number | undefined>>;
  readonly revoked?: boolean | undefined;
}

/**
 * The common SQL of a credential's store; the store extends it with its own queries. Every method
 * takes the executor to use (a transaction inside a change), by default the store's database.
 */
export class CredentialRows<T extends CredentialTables> {
  readonly db: Kysely<Schema>;
  readonly #tables: T;

  constructor(db: Kysely<Schema>, tables: T) {
    this.db = db;
    this.#tables = tables;
  }

  async insert(row: Insertable<Schema[T['table']]>, db = this.db): Promise<void> {
    // The casts name one of the tables for the types; the columns used are common to all.
    await db
      .insertInto(this.#tables.table as 'api_keys')
      .values(row as Insertable<Schema['api_keys']>)
      .execute();
  }

  /** A credential's row and every one of its stored secrets (oldest first), or undefined. */
  async find(
    id: string,
    db = this.db,
  ): Promise<{ row: Schema[T['table']]; secrets: Schema[T['secrets']][] } | undefined> {
    const row = await db
      .selectFrom(this.#tables.table as 'api_keys')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return undefined;
    return { row: row as Schema[T['table']], secrets: await this.#secretsOf(db, [id]) };
  }

  /** One page, newest first, each row made into what the API shows with its stored secrets. */
  async page<R>(
    filter: RowFilter,
    limit: number,
    cursor: string | undefined,
    show: (row: Schema[T['table']], secrets: Schema[T['secrets']][]) => R,
  ): Promise<Page<R>> {
    let query = this.db
      .selectFrom(this.#tables.table as 'api_keys')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(limit + 1);
    if (cursor !== undefined) query = query.where('id', '<', decodeCursor<string>(cursor, 'string'));
    for (const [column, value] of Object.entries(filter.equal)) {
      if (value !== undefined) query = query.where(column as 'id', '=', value as string);
    }
    if (filter.revoked !== undefined)
      query = query.where('revoked_at', filter.revoked ? 'is not' : 'is', null);
    const rows = (await query.execute()) as Schema[T['table']][];
    const secrets = await this.#secretsOf(
      this.db,
      rows.map((row) => row.id),
    );
    const owner = this.#tables.owner as keyof Schema[T['secrets']];
    return pageOf(
      rows,
      limit,
      (row) =>
        show(
          row,
          secrets.filter((secret) => secret[owner] === row.id),
        ),
      (row) => row.id,
    );
  }

  /** The guarded, version-bumping write of a change (C4): matches only the version read. */
  update(
    before: { id: string; version: number },
    columns: Updateable<Schema[T['table']]>,
    db = this.db,
  ): Promise<UpdateResult> {
    return updateVersioned(db, this.#tables.table, before, columns as never);
  }

  async insertSecret(row: Insertable<Schema[T['secrets']]>, db = this.db): Promise<void> {
    await db
      .insertInto(this.#tables.secrets as 'api_key_secrets')
      .values(row as Insertable<Schema['api_key_secrets']>)
      .execute();
  }

  /**
   * Ends every secret of `ownerId` that is live past `until` at `until`; a secret already ending
   * sooner keeps its end (a rotation never lengthens a secret's life).
   */
  async expireLiveSecrets(ownerId: string, until: number, db = this.db): Promise<void> {
    await db
      .updateTable(this.#tables.secrets as 'api_key_secrets')
      .set({ expires_at: until })
      .where(this.#tables.owner as 'key_id', '=', ownerId)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', until)]))
      .execute();
  }

  /**
   * The holder of the secret with this keyed hash, for the kinds whose secrets are hashed (API keys,
   * OAuth clients): live while neither the credential is revoked nor the secret or credential expired.
   */
  async holderOfSecret(secretHash: string, now: number, db = this.db): Promise<SecretHolder | undefined> {
    const secret = await db
      .selectFrom(this.#tables.secrets as 'api_key_secrets')
      .selectAll()
      .where('secret_hash', '=', secretHash)
      .executeTakeFirst();
    if (!secret) return undefined;
    const found = await this.find((secret as Record<string, unknown>)[this.#tables.owner] as string, db);
    if (!found) return undefined;
    const row = found.row as {
      id: string;
      integrator_id: string;
      environment: Environment;
      revoked_at: number | null;
      expires_at?: number | null;
    };
    const ended = (at: number | null | undefined) => at !== null && at !== undefined && at <= now;
    return {
      id: row.id,
      integratorId: row.integrator_id,
      environment: row.environment,
      live: row.revoked_at === null && !ended(secret.expires_at) && !ended(row.expires_at),
    };
  }

  async #secretsOf(db: Kysely<Schema>, ownerIds: readonly string[]): Promise<Schema[T['secrets']][]> {
    if (ownerIds.length === 0) return [];
    const rows = await db
      .selectFrom(this.#tables.secrets as 'api_key_secrets')
      .selectAll()
      .where(this.#tables.owner as 'key_id', 'in', ownerIds)
      .orderBy('id')
      .execute();
    return rows as unknown as Schema[T['secrets']][];
  }
}
