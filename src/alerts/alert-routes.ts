import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { respondToChange } from '../admin/change-response.ts';
import { IdParams, pageSchema, withProblems } from '../http/schemas.ts';
import {
  AlertListQuery,
  AlertSchema,
  CreatedSinkSchema,
  CreateSinkBody,
  SinkListQuery,
  SinkSchema,
} from './alert-schemas.ts';
import type { AlertService } from './alert-service.ts';
import type { SinkService } from './sink-service.ts';

const tags = ['Alerts'];

/** `/admin/v1/alerts` and `/admin/v1/alert-sinks` (L4, L5). */
export function registerAlertRoutes(
  parent: FastifyInstance,
  { alerts, sinks }: { alerts: AlertService; sinks: SinkService },
): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/admin/v1/alerts',
    {
      schema: {
        tags,
        summary: 'List alerts, newest first',
        querystring: AlertListQuery,
        response: withProblems({ 200: pageSchema(AlertSchema) }),
      },
    },
    async (request) =>
      alerts.list({
        limit: request.query.limit ?? 50,
        cursor: request.query.cursor,
        rule: request.query.rule,
        status: request.query.status,
      }),
  );

  app.get(
    '/admin/v1/alerts/:id',
    {
      schema: {
        tags,
        summary: 'Get an alert',
        params: IdParams,
        response: withProblems({ 200: AlertSchema }),
      },
    },
    async (request) => alerts.get(request.params.id),
  );

  app.post(
    '/admin/v1/alerts/:id/acknowledge',
    {
      schema: {
        tags,
        summary: 'Acknowledge an alert',
        params: IdParams,
        response: withProblems({ 200: AlertSchema }),
      },
    },
    async (request, reply) =>
      respondToChange(
        request,
        reply,
        (context) => alerts.acknowledge(request.params.id, context),
        (alert) => ({ body: alert }),
      ),
  );

  app.post(
    '/admin/v1/alert-sinks',
    {
      schema: {
        tags,
        summary: 'Add an alert sink (a webhook sink’s signing secret is returned once)',
        body: CreateSinkBody,
        response: withProblems({ 201: CreatedSinkSchema }),
      },
    },
    async (request, reply) =>
      respondToChange(
        request,
        reply,
        (context) => sinks.create(request.body, context),
        (sink) => ({ status: 201, location: `/admin/v1/alert-sinks/${sink.id}`, body: sink }),
      ),
  );

  app.get(
    '/admin/v1/alert-sinks',
    {
      schema: {
        tags,
        summary: 'List alert sinks',
        querystring: SinkListQuery,
        response: withProblems({ 200: pageSchema(SinkSchema) }),
      },
    },
    async (request) => sinks.list({ limit: request.query.limit ?? 50, cursor: request.query.cursor }),
  );

  app.get(
    '/admin/v1/alert-sinks/:id',
    {
      schema: {
        tags,
        summary: 'Get an alert sink',
        params: IdParams,
        response: withProblems({ 200: SinkSchema }),
      },
    },
    async (request) => sinks.get(request.params.id),
  );

  app.delete(
    '/admin/v1/alert-sinks/:id',
    {
      schema: {
        tags,
        summary: 'Delete an alert sink',
        params: IdParams,
        response: withProblems({ 200: SinkSchema }),
      },
    },
    async (request, reply) =>
      respondToChange(
        request,
        reply,
        (context) => sinks.delete(request.params.id, context),
        (sink) => ({ body: sink }),
      ),
  );
}
