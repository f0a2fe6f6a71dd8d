import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { respondToChange } from '../admin/change-response.ts';
import { PageQuery } from '../http/pagination.ts';
import { IdParams, pageSchema, withProblems } from '../http/schemas.ts';
import type { EventPublisher } from './event-publisher.ts';
import {
  AttemptSchema,
  DeliveryListQuery,
  DeliverySchema,
  MessageListQuery,
  MessageSchema,
  MessageWithPayloadSchema,
  PublishBody,
  PublishedSchema,
  ReplayMessageBody,
  ReplayResultSchema,
} from './operation-schemas.ts';
import type { WebhookOperations } from './webhook-operations.ts';

const tags = ['Webhooks'];

/** The publish API and the delivery log: messages, deliveries, attempts, replay (W1, W3). */
export function registerDeliveryRoutes(
  parent: FastifyInstance,
  publisher: EventPublisher,
  operations: WebhookOperations,
): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/admin/v1/events',
    {
      schema: {
        tags,
        summary: 'Publish an event to the integrator’s subscribed endpoints (send an Idempotency-Key)',
        body: PublishBody,
        response: withProblems({ 201: PublishedSchema }),
      },
    },
    async (request, reply) =>
      respondToChange(
        request,
        reply,
        (context) => publisher.publish(request.body, context.idempotency),
        (published) => ({
          status: 201,
          location: `/admin/v1/webhook-messages/${published.id}`,
          body: published,
        }),
      ),
  );

  app.get(
    '/admin/v1/webhook-messages',
    {
      schema: {
        tags,
        summary: 'List published messages, newest first',
        querystring: MessageListQuery,
        response: withProblems({ 200: pageSchema(MessageSchema) }),
      },
    },
    async (request) => {
      const { limit = 50, cursor, integrator_id, environment, type } = request.query;
      return operations.listMessages({ integratorId: integrator_id, environment, type }, limit, cursor);
    },
  );

  app.get(
    '/admin/v1/webhook-messages/:id',
    {
      schema: {
        tags,
        summary: 'Get a message with the body its endpoints receive',
        params: IdParams,
        response: withProblems({ 200: MessageWithPayloadSchema }),
      },
    },
    async (request) => operations.getMessage(request.params.id),
  );

  app.post(
    '/admin/v1/webhook-messages/:id/replay',
    {
      schema: {
        tags,
        summary: 'Deliver a message again to its enabled endpoints (or one of them)',
        params: IdParams,
        body: ReplayMessageBody,
        response: withProblems({ 200: ReplayResultSchema }),
      },
    },
    async (request, reply) =>
      respondToChange(
        request,
        reply,
        (context) => operations.replayMessage(request.params.id, request.body?.endpoint_id, context),
        (result) => ({ body: result }),
      ),
  );

  app.get(
    '/admin/v1/webhook-deliveries',
    {
      schema: {
        tags,
        summary: 'List deliveries (one message to one endpoint), newest first',
        querystring: DeliveryListQuery,
        response: withProblems({ 200: pageSchema(DeliverySchema) }),
      },
    },
    async (request) => {
      const { limit = 50, cursor, message_id, endpoint_id, integrator_id, status } = request.query;
      return operations.listDeliveries(
        { messageId: message_id, endpointId: endpoint_id, integratorId: integrator_id, status },
        limit,
        cursor,
      );
    },
  );

  app.get(
    '/admin/v1/webhook-deliveries/:id',
    {
      schema: {
        tags,
        summary: 'Get a delivery',
        params: IdParams,
        response: withProblems({ 200: DeliverySchema }),
      },
    },
    async (request) => operations.getDelivery(request.params.id),
  );

  app.get(
    '/admin/v1/webhook-deliveries/:id/attempts',
    {
      schema: {
        tags,
        summary: 'List every attempt of a delivery, newest first',
        params: IdParams,
        querystring: PageQuery,
        response: withProblems({ 200: pageSchema(AttemptSchema) }),
      },
    },
    async (request) =>
      operations.listAttempts(request.params.id, request.query.limit ?? 50, request.query.cursor),
  );
}
