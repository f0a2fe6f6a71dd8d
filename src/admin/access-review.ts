import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { withProblems } from '../http/schemas.ts';
import type { IntegratorService } from '../integrators/integrator-service.ts';
import type { KeyStore } from '../keys/key-store.ts';
import type { ClientStore } from '../oauth/client-store.ts';

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
  issued_at: unknown;
}

/** What the report reads: the keys' and clients' stores, and the integrators they belong to. */
export interface AccessReviewSources {
  readonly keys: { readonly store: Pick<KeyStore, 'unrevokedForReview'> };
  readonly clients: { readonly store: Pick<ClientStore, 'unrevokedForReview'> };
  readonly integrators: Pick<IntegratorService, 'get'>;
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
  { keys, clients, integrators }: AccessReviewSources,
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
      const [keyRows, clientRows] = await Promise.all([
        keys.store.unrevokedForReview(),
        clients.store.unrevokedForReview(),
      ]);
      const owners = new Map<string, { name: string; status: string }>();
      for (const id of new Set([...keyRows, ...clientRows].map((row) => row.integrator_id))) {
        owners.set(id, await integrators.get(id));
      }
      const entry = (type: string, row: ReviewRow) => {
        const owner = owners.get(row.integrator_id) as { name: string; status: string };
        return {
          credential_type: type,
          id: row.id,
          name: row.name,
          integrator_id: row.integrator_id,
          integrator_name: owner.name,
          owner: row.owner ?? null,
          environment: row.environment,
          scopes: JSON.parse(row.scopes_json) as string[],
          status:
            owner.status !== 'active'
              ? 'integrator_disabled'
              : row.expires_at != null && row.expires_at <= now
                ? 'expired'
                : 'active',
          age_days: Math.floor((now - Number(row.issued_at ?? now)) / DAY_MS),
          last_used_at: row.last_used_at === null ? null : new Date(row.last_used_at).toISOString(),
          days_since_last_use:
            row.last_used_at === null ? null : Math.floor((now - row.last_used_at) / DAY_MS),
        };
      };
      const data = [
        ...keyRows.map((row) => entry('api_key', row)),
        ...clientRows.map((row) => entry('oauth_client', row)),
      ];
      return { generated_at: new Date(now).toISOString(), data };
    },
  );
}
