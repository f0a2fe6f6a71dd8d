import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { respondToChange } from '../admin/change-response.ts';
import { auditContextOf } from '../audit/audit-context.ts';
import { etagOf, versionFromIfMatch } from '../http/etag.ts';
import { assertImmutableUnchanged } from '../http/immutable-fields.ts';
import { IdParams, pageSchema, withProblems } from '../http/schemas.ts';
import {
  CreateEndpointBody,
  EndpointListQuery,
  EndpointSchema,
  IssuedEndpointSchema,
  ReplaceEndpointBody,
  ReplayFailedBody,
  RotateSecretBody,
} from './endpoint-schemas.ts';
import { DEFAULT_SECRET_OVERLAP_SECONDS, type EndpointService } from './endpoint-service.ts';
import { ReplayResultSchema } from './operation-schemas.ts';
import { IMMUTABLE_ENDPOINT_FIELDS } from './webhook-endpoint.ts';
import type { WebhookOperations } from './webhook-operations.ts';

const tags = ['Webhooks'];

/** `/admin/v1/webhook-endpoints`: integrators' receivers (W1, W2, W4, W5; C3–C5). */
export function registerEndpointRoutes(
  parent: FastifyInstance,
  endpoints: EndpointService,
  operations: WebhookOperations,
): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/admin/v1/webhook-endpoints',
    {
      schema: {
        tags,
        summary: 'Register an endpoint; its signing secret is in this response only',
        body: CreateEndpointBody,
        response: withProblems({ 201: IssuedEndpointSchema }),
      },
    },
    async (request, reply) =>
      respondToChange(
        request,
        reply,
        (context) => endpoints.create(request.body, context),
        ({ endpoint, secret }) => ({
          status: 201,
          location: `/admin/v1/webhook-endpoints/${endpoint.id}`,
          etag: etagOf(endpoint.version),
          body: { ...endpoint, secret },
        }),
      ),
  );

  app.get(
    '/admin/v1/webhook-endpoints',
    {
      schema: {
        tags,
        summary: 'List webhook endpoints, newest first',
        querystring: EndpointListQuery,
        response: withProblems({ 200: pageSchema(EndpointSchema) }),
      },
    },
    async (request) => {
      const { limit = 50, cursor, integrator_id, environment, enabled } = request.query;
      return endpoints.list({ integratorId: integrator_id, environment, enabled }, limit, cursor);
    },
  );

  app.get(
    '/admin/v1/webhook-endpoints/:id',
    {
      schema: {
        tags,
        summary: 'Get a webhook endpoint (never its secret)',
        params: IdParams,
        response: withProblems({ 200: EndpointSchema }),
      },
    },
    async (request, reply) => {
      const endpoint = await endpoints.get(request.params.id);
      return reply.header('etag', etagOf(endpoint.version)).send(endpoint);
    },
  );

  app.put(
    '/admin/v1/webhook-endpoints/:id',
    {
      schema: {
        tags,
        summary: 'Replace an endpoint’s writable fields (send If-Match to detect concurrent edits)',
        params: IdParams,
        body: ReplaceEndpointBody,
        response: withProblems({ 200: EndpointSchema }),
      },
    },
    async (request, reply) => {
      const expected = versionFromIfMatch(request.headers['if-match']);
      const current = await endpoints.get(request.params.id);
      assertImmutableUnchanged(request.body, { ...current }, IMMUTABLE_ENDPOINT_FIELDS);
      const { url, description, event_types, enabled, signature_header, metadata } = request.body;
      const endpoint = await endpoints.replace(
        request.params.id,
        { url, description, event_types, enabled, signature_header, metadata },
        expected,
        auditContextOf(request),
      );
      return reply.header('etag', etagOf(endpoint.version)).send(endpoint);
    },
  );

  app.post(
    '/admin/v1/webhook-endpoints/:id/rotate-secret',
    {
      schema: {
        tags,
        summary: 'Issue a new signing secret; the current one keeps signing for the overlap window',
        params: IdParams,
        body: RotateSecretBody,
        response: withProblems({ 200: IssuedEndpointSchema }),
      },
    },
    async (request, reply) => {
      const overlap = request.body?.overlap_seconds ?? DEFAULT_SECRET_OVERLAP_SECONDS;
      return respondToChange(
        request,
        reply,
        (context) => endpoints.rotate(request.params.id, overlap, context),
        ({ endpoint, secret }) => ({ etag: etagOf(endpoint.version), body: { ...endpoint, secret } }),
      );
    },
  );

  app.post(
    '/admin/v1/webhook-endpoints/:id/replay',
    {
      schema: {
        tags,
        summary: 'Deliver every failed message of this endpoint since a time again',
        params: IdParams,
        body: ReplayFailedBody,
        response: withProblems({ 200: ReplayResultSchema }),
      },
    },
    async (request, reply) =>
      respondToChange(
        request,
        reply,
        (context) => operations.replayFailed(request.params.id, Date.parse(request.body.since), context),
        (result) => ({ body: result }),
      ),
  );
}
