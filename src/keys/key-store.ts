import type { Kysely } from 'kysely';
import { CredentialRows } from '../credentials/credential-rows.ts';
import type { Schema } from '../db/schema.ts';
import type { Page } from '../http/pagination.ts';
import type { Environment } from './api-key.ts';
import type { ApiKeySecretTable, ApiKeyTable } from './key-schema.ts';

const TABLES = { table: 'api_keys', secrets: 'api_key_secrets', owner: 'key_id' } as const;

export interface KeyListFilter {
  integratorId?: string | undefined;
  environment?: Environment | undefined;
  status?: 'active' | 'revoked' | undefined;
}

/** An unrevoked key as an access review reads it, with when its newest secret was issued. */
export type ReviewedKeyRow = Pick<
  ApiKeyTable,
  | 'id'
  | 'name'
  | 'owner'
  | 'environment'
  | 'scopes_json'
  | 'expires_at'
  | 'last_used_at'
  | 'integrator_id'
  | 'created_at'
> & { issued_at: unknown };

/** The SQL of API keys: `api_keys` and `api_key_secrets`. Every method takes the executor to use. */
export class KeyStore extends CredentialRows<typeof TABLES> {
  constructor(db: Kysely<Schema>) {
    super(db, TABLES);
  }

  /** One page of keys, newest first, each shown by `show` with its stored secrets. */
  list<R>(
    filter: KeyListFilter,
    limit: number,
    cursor: string | undefined,
    show: (row: ApiKeyTable, secrets: ApiKeySecretTable[]) => R,
  ): Promise<Page<R>> {
    const { integratorId, environment, status } = filter;
    const equal = { integrator_id: integratorId, environment };
    return this.page(
      { equal, revoked: status === undefined ? undefined : status === 'revoked' },
      limit,
      cursor,
      show,
    );
  }

  /** Every unrevoked key, oldest id first, with its newest secret's creation time (K9). */
  unrevokedForReview(): Promise<ReviewedKeyRow[]> {
    return this.db
      .selectFrom('api_keys as k')
      .select([
        'k.id',
        'k.name',
        'k.owner',
        'k.environment',
        'k.scopes_json',
        'k.expires_at',
        'k.last_used_at',
        'k.integrator_id',
        'k.created_at',
        (eb) =>
          eb
            .selectFrom('api_key_secrets as s')
            .select((inner) => inner.fn.max('s.created_at').as('issued'))
            .whereRef('s.key_id', '=', 'k.id')
            .as('issued_at'),
      ])
      .where('k.revoked_at', 'is', null)
      .orderBy('k.id')
      .execute();
  }
}
