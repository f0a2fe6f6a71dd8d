import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { invalidRequest } from '../http/api-error.ts';
import { IdParams, NullableTimestamp, Timestamp, Uuid, withProblems } from '../http/schemas.ts';
import type { AdminTokenService } from './admin-token-service.ts';
import { respondToChange } from './change-response.ts';

const Role = Type.Union([Type.Literal('owner'), Type.Literal('admin'), Type.Literal('auditor')]);
const AdminTokenSchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  role: Role,
  hint: Type.String(),
  source: Type.String(),
  status: Type.String(),
  created_at: Timestamp,
  created_by: Type.Union([Type.String(), Type.Null()]),
  last_used_at: NullableTimestamp,
  expires_at: NullableTimestamp,
  revoked_at: NullableTimestamp,
});
const CreateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    role: Role,
    expires_at: Type.Optional(NullableTimestamp),
  },
  { additionalProperties: false },
);

const tags = ['Admin tokens'];
const config = { role: 'owner' as const };

/** `/admin/v1/admin-tokens`: who may use this API, and with which role. Owners only. */
export function registerAdminTokenRoutes(
  parent: FastifyInstance,
  { adminTokens }: { adminTokens: AdminTokenService },
): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/admin/v1/admin-tokens',
    {
      config,
      schema: {
        tags,
        summary: 'Create an admin token; the secret is in this response only',
        body: CreateBody,
        response: withProblems({
          201: Type.Object({ ...AdminTokenSchema.properties, token: Type.String() }),
        }),
      },
    },
    async (request, reply) => {
      const expiresAt = request.body.expires_at ? Date.parse(request.body.expires_at) : null;
      if (expiresAt !== null && expiresAt <= Date.now())
        throw invalidRequest([{ field: '/expires_at', message: 'must be in the future' }]);
      const input = { name: request.body.name, role: request.body.role, expiresAt };
      return respondToChange(
        request,
        reply,
        (context) => adminTokens.create(input, context),
        ({ token, secret }) => ({
          status: 201,
          location: `/admin/v1/admin-tokens/${token.id}`,
          body: { ...token, token: secret },
        }),
      );
    },
  );

  app.get(
    '/admin/v1/admin-tokens',
    {
      config,
      schema: {
        tags,
        summary: 'List admin tokens',
        response: withProblems({ 200: Type.Object({ data: Type.Array(AdminTokenSchema) }) }),
      },
    },
    async () => ({ data: await adminTokens.list() }),
  );

  app.post(
    '/admin/v1/admin-tokens/:id/revoke',
    {
      config,
      schema: {
        tags,
        summary: 'Revoke an admin token',
        params: IdParams,
        response: withProblems({ 200: AdminTokenSchema }),
      },
    },
    async (request, reply) =>
      respondToChange(
        request,
        reply,
        (context) => adminTokens.revoke(request.params.id, context),
        (token) => ({ body: token }),
      ),
  );
}
