import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { respondToChange } from '../admin/change-response.ts';
import { auditContextOf } from '../audit/audit-context.ts';
import { invalidRequest } from '../http/api-error.ts';
import { etagOf, versionFromIfMatch } from '../http/etag.ts';
import { assertImmutableUnchanged } from '../http/immutable-fields.ts';
import { PageQuery } from '../http/pagination.ts';
import { IdParams, MAX_METADATA_BYTES, pageSchema, withProblems } from '../http/schemas.ts';
import {
  CreateIntegratorBody,
  IMMUTABLE_INTEGRATOR_FIELDS,
  IntegratorSchema,
  ReplaceIntegratorBody,
} from './integrator-schemas.ts';
import type { IntegratorService } from './integrator-service.ts';

const tags = ['Integrators'];

/** `/admin/v1/integrators`: the API's customers, each owning its credentials (K0). */
export function registerIntegratorRoutes(
  parent: FastifyInstance,
  { integrators }: { integrators: IntegratorService },
): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/admin/v1/integrators',
    {
      schema: {
        tags,
        summary: 'Create an integrator',
        body: CreateIntegratorBody,
        response: withProblems({ 201: IntegratorSchema }),
      },
    },
    async (request, reply) => {
      assertMetadataSize(request.body.metadata);
      return respondToChange(
        request,
        reply,
        (context) => integrators.create(request.body, context),
        (integrator) => ({
          status: 201,
          location: `/admin/v1/integrators/${integrator.id}`,
          etag: etagOf(integrator.version),
          body: integrator,
        }),
      );
    },
  );

  app.get(
    '/admin/v1/integrators',
    {
      schema: {
        tags,
        summary: 'List integrators, newest first',
        querystring: PageQuery,
        response: withProblems({ 200: pageSchema(IntegratorSchema) }),
      },
    },
    async (request) => integrators.list(request.query.limit ?? 50, request.query.cursor),
  );

  app.get(
    '/admin/v1/integrators/:id',
    {
      schema: {
        tags,
        summary: 'Get an integrator',
        params: IdParams,
        response: withProblems({ 200: IntegratorSchema }),
      },
    },
    async (request, reply) => {
      const integrator = await integrators.get(request.params.id);
      return reply.header('etag', etagOf(integrator.version)).send(integrator);
    },
  );

  app.put(
    '/admin/v1/integrators/:id',
    {
      schema: {
        tags,
        summary: 'Replace an integrator (status "disabled" stops all its credentials)',
        params: IdParams,
        body: ReplaceIntegratorBody,
        response: withProblems({ 200: IntegratorSchema }),
      },
    },
    async (request, reply) => {
      const expected = versionFromIfMatch(request.headers['if-match']);
      const current = await integrators.get(request.params.id);
      assertImmutableUnchanged(request.body, { ...current }, IMMUTABLE_INTEGRATOR_FIELDS);
      assertMetadataSize(request.body.metadata);
      const { name, email, status, metadata } = request.body;
      const integrator = await integrators.replace(
        request.params.id,
        { name, email, status, metadata },
        expected,
        auditContextOf(request),
      );
      return reply.header('etag', etagOf(integrator.version)).send(integrator);
    },
  );
}

function assertMetadataSize(metadata: unknown): void {
  if (metadata !== undefined && Buffer.byteLength(JSON.stringify(metadata)) > MAX_METADATA_BYTES) {
    throw invalidRequest([
      { field: '/metadata', message: `must serialize to at most ${MAX_METADATA_BYTES} bytes` },
    ]);
  }
}
