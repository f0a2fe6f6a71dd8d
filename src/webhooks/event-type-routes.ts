import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { respondToChange } from '../admin/change-response.ts';
import { auditContextOf } from '../audit/audit-context.ts';
import { etagOf, versionFromIfMatch } from '../http/etag.ts';
import { assertImmutableUnchanged } from '../http/immutable-fields.ts';
import { IdParams, pageSchema, withProblems } from '../http/schemas.ts';
import type { EventCatalog } from './event-catalog.ts';
import { IMMUTABLE_EVENT_TYPE_FIELDS } from './event-type.ts';
import {
  CreateEventTypeBody,
  EventTypeListQuery,
  EventTypeSchema,
  ReplaceEventTypeBody,
} from './event-type-schemas.ts';

const tags = ['Webhooks'];

/** `/admin/v1/event-types`: the published event catalog (W1). */
export function registerEventTypeRoutes(parent: FastifyInstance, catalog: EventCatalog): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/admin/v1/event-types',
    {
      schema: {
        tags,
        summary: 'Declare an event type and the JSON Schema of its data',
        body: CreateEventTypeBody,
        response: withProblems({ 201: EventTypeSchema }),
      },
    },
    async (request, reply) =>
      respondToChange(
        request,
        reply,
        (context) => catalog.create(request.body, context),
        (eventType) => ({
          status: 201,
          location: `/admin/v1/event-types/${eventType.id}`,
          etag: etagOf(eventType.version),
          body: eventType,
        }),
      ),
  );

  app.get(
    '/admin/v1/event-types',
    {
      schema: {
        tags,
        summary: 'List the event catalog, newest first',
        querystring: EventTypeListQuery,
        response: withProblems({ 200: pageSchema(EventTypeSchema) }),
      },
    },
    async (request) => catalog.list(request.query.limit ?? 50, request.query.cursor, request.query.name),
  );

  app.get(
    '/admin/v1/event-types/:id',
    {
      schema: {
        tags,
        summary: 'Get an event type',
        params: IdParams,
        response: withProblems({ 200: EventTypeSchema }),
      },
    },
    async (request, reply) => {
      const eventType = await catalog.get(request.params.id);
      return reply.header('etag', etagOf(eventType.version)).send(eventType);
    },
  );

  app.put(
    '/admin/v1/event-types/:id',
    {
      schema: {
        tags,
        summary: 'Replace an event type’s description and schema (send If-Match to detect concurrent edits)',
        params: IdParams,
        body: ReplaceEventTypeBody,
        response: withProblems({ 200: EventTypeSchema }),
      },
    },
    async (request, reply) => {
      const expected = versionFromIfMatch(request.headers['if-match']);
      const current = await catalog.get(request.params.id);
      assertImmutableUnchanged(request.body, { ...current }, IMMUTABLE_EVENT_TYPE_FIELDS);
      const { description, schema } = request.body;
      const eventType = await catalog.replace(
        request.params.id,
        { description, schema },
        expected,
        auditContextOf(request),
      );
      return reply.header('etag', etagOf(eventType.version)).send(eventType);
    },
  );
}
