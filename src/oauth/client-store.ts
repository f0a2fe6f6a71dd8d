import type { Kysely } from 'kysely';
import { CredentialRows } from '../credentials/credential-rows.ts';
import type { Schema } from '../db/schema.ts';
import type { Page } from '../http/pagination.ts';
import type { OAuthClientSecretTable, OAuthClientTable } from './oauth-schema.ts';

const TABLES = { table: 'oauth_clients', secrets: 'oauth_client_secrets', owner: 'client_id' } as const;

/** An unrevoked client as an access review reads it, with when its newest secret was issued. */
export type ReviewedClientRow = Pick<
  OAuthClientTable,
  'id' | 'name' | 'environment' | 'scopes_json' | 'last_used_at' | 'integrator_id' | 'created_at'
> & { issued_at: unknown };

/** The SQL of OAuth clients: `oauth_clients` and `oauth_client_secrets`. */
export class ClientStore extends CredentialRows<typeof TABLES> {
  constructor(db: Kysely<Schema>) {
    super(db, TABLES);
  }

  /** One page of clients, newest first, each shown by `show` with its stored secrets. */
  list<R>(
    integratorId: string | undefined,
    limit: number,
    cursor: string | undefined,
    show: (row: OAuthClientTable, secrets: OAuthClientSecretTable[]) => R,
  ): Promise<Page<R>> {
    return this.page({ equal: { integrator_id: integratorId } }, limit, cursor, show);
  }

  /** Every unrevoked client, oldest id first, with its newest secret's creation time (K9). */
  unrevokedForReview(): Promise<ReviewedClientRow[]> {
    return this.db
      .selectFrom('oauth_clients as c')
      .select([
        'c.id',
        'c.name',
        'c.environment',
        'c.scopes_json',
        'c.last_used_at',
        'c.integrator_id',
        'c.created_at',
        (eb) =>
          eb
            .selectFrom('oauth_client_secrets as s')
            .select((inner) => inner.fn.max('s.created_at').as('issued'))
            .whereRef('s.client_id', '=', 'c.id')
            .as('issued_at'),
      ])
      .where('c.revoked_at', 'is', null)
      .orderBy('c.id')
      .execute();
  }
}
