import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { invalidRequest } from '../http/api-error.ts';
import { IdParams, withProblems } from '../http/schemas.ts';
import type { CredentialTimeline } from './credential-timeline.ts';
import { readTimelineWindow } from './timeline-window.ts';

const Instant = Type.String({
  maxLength: 40,
  description: 'ISO 8601 (2025-05-01T12:00:00Z, 2025-05-01) or a duration ago (30m, 24h, 7d)',
});
const Query = Type.Object(
  { since: Type.Optional(Instant), until: Type.Optional(Instant) },
  { additionalProperties: false },
);
const Nullable = <T extends Type.TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const StatusClasses = Type.Object({
  '2xx': Type.Integer(),
  '3xx': Type.Integer(),
  '4xx': Type.Integer(),
  '5xx': Type.Integer(),
});
const Entry = Type.Object({
  time: Type.String(),
  type: Type.String({ description: 'usage, new_ip, security_event, alert or admin_action' }),
  requests: Type.Optional(Type.Integer()),
  status: Type.Optional(StatusClasses),
  ip: Type.Optional(Nullable(Type.String())),
  id: Type.Optional(Type.String()),
  event: Type.Optional(Type.String()),
  source: Type.Optional(Type.String()),
  details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  rule: Type.Optional(Type.String()),
  alert_status: Type.Optional(Type.String()),
  count: Type.Optional(Type.Integer()),
  last_seen: Type.Optional(Type.String()),
  action: Type.Optional(Type.String()),
  actor: Type.Optional(
    Type.Object({ type: Type.String(), id: Nullable(Type.String()), name: Nullable(Type.String()) }),
  ),
  request_id: Type.Optional(Nullable(Type.String())),
  audit_seq: Type.Optional(Type.Integer()),
});
const Report = Type.Object({
  credential: Type.Object({
    id: Type.String(),
    type: Type.String({ description: 'api_key or oauth_client' }),
    name: Type.String(),
    integrator_id: Type.String(),
    environment: Type.String(),
    status: Type.String(),
  }),
  since: Type.String(),
  until: Type.String(),
  entries: Type.Array(Entry),
  ips: Type.Array(
    Type.Object({
      ip: Type.String(),
      first_seen: Type.String(),
      last_seen: Type.String(),
      requests: Type.Integer(),
    }),
  ),
  totals: Type.Object({ requests: Type.Integer(), ...StatusClasses.properties }),
  truncated: Type.Boolean(),
  next_since: Nullable(Type.String()),
});

/** `GET /admin/v1/credentials/:id/timeline` (L6): auditor and up, like every read. */
export function registerTimelineRoutes(
  parent: FastifyInstance,
  { timeline }: { timeline: CredentialTimeline },
): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/admin/v1/credentials/:id/timeline',
    {
      schema: {
        tags: ['Incidents'],
        summary: 'What one API key or OAuth client did and what was done to it, in time order',
        params: IdParams,
        querystring: Query,
        response: withProblems({ 200: Report }),
      },
    },
    async (request) => {
      const reading = readTimelineWindow(request.query, Date.now());
      if (!reading.ok) throw invalidRequest(reading.errors, 'The period of the timeline is not valid');
      return timeline.build(request.params.id, reading.window);
    },
  );
}
