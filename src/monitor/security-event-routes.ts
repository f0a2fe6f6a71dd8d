import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { pageSchema, withProblems } from '../http/schemas.ts';
import type { SecurityEvents } from './security-events.ts';

const Query = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    event: Type.Optional(Type.String({ maxLength: 100 })),
    credential_id: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);
const SecurityEventSchema = Type.Object({
  id: Type.String(),
  timestamp: Type.String(),
  event: Type.String(),
  source: Type.String(),
  credential_id: Type.Union([Type.String(), Type.Null()]),
  integrator_id: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  details: Type.Record(Type.String(), Type.Unknown()),
});

/** `GET /admin/v1/security-events`: what the monitors saw, newest first. */
export function registerSecurityEventRoutes(
  parent: FastifyInstance,
  { securityEvents }: { securityEvents: SecurityEvents },
): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/admin/v1/security-events',
    {
      schema: {
        tags: ['Security events'],
        summary: 'List security events, newest first',
        querystring: Query,
        response: withProblems({ 200: pageSchema(SecurityEventSchema) }),
      },
    },
    async (request) =>
      securityEvents.list({
        limit: request.query.limit ?? 50,
        cursor: request.query.cursor,
        event: request.query.event,
        credentialId: request.query.credential_id,
      }),
  );
}
