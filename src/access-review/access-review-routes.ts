import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { withProblems } from '../http/schemas.ts';
import { type AccessReviewSources, buildAccessReview } from './access-review.ts';

const Nullable = <T extends Type.TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

const ReviewEntry = Type.Object({
  credential_type: Type.String({ description: 'api_key or oauth_client' }),
  id: Type.String(),
  name: Type.String(),
  integrator_id: Type.String(),
  integrator_name: Type.String(),
  owner: Nullable(Type.String()),
  environment: Type.String(),
  scopes: Type.Array(Type.String()),
  status: Type.String({ description: 'active, expired or integrator_disabled' }),
  created_at: Type.String(),
  age_days: Type.Integer({ description: 'Days since the current secret was issued' }),
  rotation_due: Type.Boolean({ description: 'The current secret is older than the rotation age' }),
  last_used_at: Nullable(Type.String()),
  days_since_last_use: Nullable(Type.Integer()),
  unused: Type.Boolean({ description: 'No use for the unused period (from creation when never used)' }),
  ips_seen: Type.Integer({ description: 'Addresses it was used from (within usage retention)' }),
  recent_ips: Type.Array(Type.String(), { description: 'The most recent of them, newest first, at most 5' }),
});

const ReviewAdmin = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: Type.String({ description: 'owner, admin or auditor' }),
  source: Type.String(),
  status: Type.String({ description: 'active or expired' }),
  created_at: Type.String(),
  expires_at: Nullable(Type.String()),
  last_used_at: Nullable(Type.String()),
  days_since_last_use: Nullable(Type.Integer()),
  unused: Type.Boolean(),
});

/**
 * `GET /admin/v1/reports/access-review` (K9): every credential that can still be used, with its
 * scopes, owner, age, last use, addresses, rotation due and unused; and every unrevoked admin token
 * with its role and last use — what a periodic access review walks through. Auditor and up.
 */
export function registerAccessReviewRoute(parent: FastifyInstance, sources: AccessReviewSources): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/admin/v1/reports/access-review',
    {
      schema: {
        tags: ['Reports'],
        summary: 'Every usable credential and admin token, with scopes or role, owner, age and use',
        response: withProblems({
          200: Type.Object({
            generated_at: Type.String(),
            policy: Type.Object({ rotation_age_days: Type.Number(), unused_after_days: Type.Number() }),
            data: Type.Array(ReviewEntry),
            admin_tokens: Type.Array(ReviewAdmin),
          }),
        }),
      },
    },
    async () => buildAccessReview(sources),
  );
}
