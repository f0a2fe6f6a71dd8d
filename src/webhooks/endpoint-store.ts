import type { Kysely } from 'kysely';
import { CredentialRows } from '../credentials/credential-rows.ts';
import type { Schema } from '../db/schema.ts';
import type { Page } from '../http/pagination.ts';
import type { Environment } from '../keys/api-key.ts';
import type { WebhookEndpointSecretTable, WebhookEndpointTable } from './webhook-schema.ts';

const TABLES = {
  table: 'webhook_endpoints',
  secrets: 'webhook_endpoint_secrets',
  owner: 'endpoint_id',
} as const;

export interface EndpointListFilter {
  integratorId?: string | undefined;
  environment?: Environment | undefined;
  enabled?: boolean | undefined;
}

/**
 * The SQL of webhook endpoints: `webhook_endpoints` and `webhook_endpoint_secrets`. The delivery
 * queue's claim and failure bookkeeping stay in `delivery-queue.ts`: they are joins of its own.
 */
export class EndpointStore extends CredentialRows<typeof TABLES> {
  constructor(db: Kysely<Schema>) {
    super(db, TABLES);
  }

  /** One page of endpoints, newest first, each shown by `show` with its stored secrets. */
  list<R>(
    filter: EndpointListFilter,
    limit: number,
    cursor: string | undefined,
    show: (row: WebhookEndpointTable, secrets: WebhookEndpointSecretTable[]) => R,
  ): Promise<Page<R>> {
    const { integratorId, environment, enabled } = filter;
    const equal = {
      integrator_id: integratorId,
      environment,
      enabled: enabled === undefined ? undefined : enabled ? 1 : 0,
    };
    return this.page({ equal }, limit, cursor, show);
  }
}

/** Whether the endpoint is enabled; undefined when it does not exist. */
export async function endpointEnabled(db: Kysely<Schema>, id: string): Promise<boolean | undefined> {
  const row = await db
    .selectFrom('webhook_endpoints')
    .select('enabled')
    .where('id', '=', id)
    .executeTakeFirst();
  return row === undefined ? undefined : row.enabled === 1;
}

/** The enabled endpoints of one integrator's environment, with the event types each receives. */
export async function subscribersOf(
  db: Kysely<Schema>,
  integratorId: string,
  environment: string,
): Promise<{ id: string; types: Set<string> }[]> {
  const rows = await db
    .selectFrom('webhook_endpoints')
    .select(['id', 'event_types_json'])
    .where('integrator_id', '=', integratorId)
    .where('environment', '=', environment)
    .where('enabled', '=', 1)
    .execute();
  return rows.map((row) => ({ id: row.id, types: new Set(JSON.parse(row.event_types_json) as string[]) }));
}
