import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { withProblems } from '../http/schemas.ts';
import type { Services } from '../server/services.ts';

const DAY_MS = 86_400_000;

interface ReviewRow {
  id: string;
  name: string;
  owner?: string | null;
  environment: string;
  scopes_json: string;
  expires_at?: number | null;
  last_used_at: number | null;
  integrator_id: string;
  integrator_name: string;
  integrator_status: string;
  issued_at: unknown;
}

const ReviewEntry = Type.Object({
  credential_type: Type.String(),
  id: Type.String(),
  name: Type.String(),
  integrator_id: Type.String(),
  integrator_name: Type.String(),
  owner: Type.Union([Type.String(), Type.Null()]),
  environment: Type.String(),
  scopes: Type.Array(Type.String()),
  status: Type.String(),
  age_days: Type.Integer({ description: 'Days since the current secret was issued' }),
  last_used_at: Type.Union([Type.String(), Type.Null()]),
  days_since_last_use: Type.Union([Type.Integer(), Type.Null()]),
});

/**
 * `GET /admin/v1/reports/access-review` (K9): every credential that can still be used, with its
 * scopes, owner, age and last use — what a periodic access review walks through.
 */
export function registerAccessReviewRoute(
  parent: FastifyInstance,
  { database }: Pick<Services, 'database'>,
): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/admin/v1/reports/access-review',
    {
      schema: {
        tags: ['Reports'],
        summary: 'Every active credential with scopes, owner, age and last use',
        response: withProblems({
          200: Type.Object({ generated_at: Type.String(), data: Type.Array(ReviewEntry) }),
        }),
      },
    },
    async () => {
      const now = Date.now();
      const { db } = database;
      const keys = await db
        .selectFrom('api_keys as k')
        .innerJoin('integrators as i', 'i.id', 'k.integrator_id')
        .select([
          'k.id',
          'k.name',
          'k.owner',
          'k.environment',
          'k.scopes_json',
          'k.expires_at',
          'k.last_used_at',
          'k.integrator_id',
          'i.name as integrator_name',
          'i.status as integrator_status',
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
      const clients = await db
        .selectFrom('oauth_clients as c')
        .innerJoin('integrators as i', 'i.id', 'c.integrator_id')
        .select([
          'c.id',
          'c.name',
          'c.environment',
          'c.scopes_json',
          'c.last_used_at',
          'c.integrator_id',
          'i.name as integrator_name',
          'i.status as integrator_status',
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
      const entry = (type: string, row: ReviewRow) => ({
        credential_type: type,
        id: row.id,
        name: row.name,
        integrator_id: row.integrator_id,
        integrator_name: row.integrator_name,
        owner: row.owner ?? null,
        environment: row.environment,
        scopes: JSON.parse(row.scopes_json) as string[],
        status:
          row.integrator_status !== 'active'
            ? 'integrator_disabled'
            : row.expires_at != null && row.expires_at <= now
              ? 'expired'
              : 'active',
        age_days: Math.floor((now - Number(row.issued_at ?? now)) / DAY_MS),
        last_used_at: row.last_used_at === null ? null : new Date(row.last_used_at).toISOString(),
        days_since_last_use: row.last_used_at === null ? null : Math.floor((now - row.last_used_at) / DAY_MS),
      });
      const data = [
        ...keys.map((row) => entry('api_key', row)),
        ...clients.map((row) => entry('oauth_client', row)),
      ];
      return { generated_at: new Date(now).toISOString(), data };
    },
  );
}
