import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Type from 'typebox';
import { respondToChange } from '../admin/change-response.ts';
import { auditContextOf } from '../audit/audit-context.ts';
import { etagOf } from '../http/etag.ts';
import { IdParams, pageSchema, withProblems } from '../http/schemas.ts';
import type { BulkActions, BulkIdempotency, BulkRequest } from './bulk-actions.ts';
import type { BulkResult } from './bulk-result.ts';
import type { Selection } from './credential-selection.ts';
import {
  AttachBody,
  BulkResultSchema,
  CloseBody,
  IncidentListQuery,
  IncidentSchema,
  IncidentWithEntriesSchema,
  NoteBody,
  OpenIncidentBody,
  RevokeAllBody,
  RotateAllBody,
} from './incident-schemas.ts';
import type { IncidentService } from './incident-service.ts';

const tags = ['Incidents'];

type RotateAll = Type.Static<typeof RotateAllBody>;
type RevokeAll = Type.Static<typeof RevokeAllBody>;

/**
 * `/admin/v1/incidents` (L7) and the bulk actions (L6): `…/incidents/{id}/actions/rotate-all` and
 * `revoke-all` log the action on the incident; `/admin/v1/credentials/rotate-all` and `revoke-all`
 * take the same body without one. Reads need auditor, everything else admin.
 */
export function registerIncidentRoutes(
  parent: FastifyInstance,
  { incidents, bulkActions }: { incidents: IncidentService; bulkActions: BulkActions },
): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const withIncident = (incident: { id: string; version: number }) => ({
    etag: etagOf(incident.version),
    body: incident,
  });

  app.post(
    '/admin/v1/incidents',
    {
      schema: {
        tags,
        summary: 'Open an incident',
        body: OpenIncidentBody,
        response: withProblems({ 201: IncidentWithEntriesSchema }),
      },
    },
    async (request, reply) =>
      respondToChange(
        request,
        reply,
        (context) => incidents.open(request.body, context),
        (incident) => ({
          status: 201,
          location: `/admin/v1/incidents/${incident.id}`,
          etag: etagOf(incident.version),
          body: incident,
        }),
      ),
  );

  app.get(
    '/admin/v1/incidents',
    {
      schema: {
        tags,
        summary: 'List incidents, newest first',
        querystring: IncidentListQuery,
        response: withProblems({ 200: pageSchema(IncidentSchema) }),
      },
    },
    async (request) => incidents.list(request.query.status, request.query.limit ?? 50, request.query.cursor),
  );

  app.get(
    '/admin/v1/incidents/:id',
    {
      schema: {
        tags,
        summary: 'Get an incident with its timeline (notes, attachments, bulk actions), oldest first',
        params: IdParams,
        response: withProblems({ 200: IncidentWithEntriesSchema }),
      },
    },
    async (request, reply) => {
      const incident = await incidents.get(request.params.id);
      return reply.header('etag', etagOf(incident.version)).send(incident);
    },
  );

  app.post(
    '/admin/v1/incidents/:id/notes',
    {
      schema: {
        tags,
        summary: 'Add a note to an open incident',
        params: IdParams,
        body: NoteBody,
        response: withProblems({ 200: IncidentWithEntriesSchema }),
      },
    },
    async (request, reply) =>
      respondToChange(
        request,
        reply,
        (context) => incidents.note(request.params.id, request.body.text, context),
        withIncident,
      ),
  );

  app.post(
    '/admin/v1/incidents/:id/attachments',
    {
      schema: {
        tags,
        summary: 'Attach an alert, security event or credential (attaching it again changes nothing)',
        params: IdParams,
        body: AttachBody,
        response: withProblems({ 200: IncidentWithEntriesSchema }),
      },
    },
    async (request, reply) =>
      respondToChange(
        request,
        reply,
        (context) => incidents.attach(request.params.id, request.body.kind, request.body.id, context),
        withIncident,
      ),
  );

  app.post(
    '/admin/v1/incidents/:id/close',
    {
      schema: {
        tags,
        summary: 'Close an incident with its resolution',
        params: IdParams,
        body: CloseBody,
        response: withProblems({ 200: IncidentWithEntriesSchema }),
      },
    },
    async (request, reply) =>
      respondToChange(
        request,
        reply,
        (context) => incidents.close(request.params.id, request.body.resolution, context),
        withIncident,
      ),
  );

  const bulk = (
    request: FastifyRequest,
    reply: FastifyReply,
    verb: BulkRequest['verb'],
    body: RotateAll | RevokeAll,
    incidentId: string | null,
  ) => runBulk(bulkActions, request, reply, toBulkRequest(verb, body, incidentId));

  for (const verb of ['rotate', 'revoke'] as const) {
    const body = verb === 'rotate' ? RotateAllBody : RevokeAllBody;
    const summary =
      verb === 'rotate'
        ? 'Rotate every selected credential (new secrets in this response only)'
        : 'Revoke every selected credential at once (webhook endpoints get a new secret)';
    app.post(
      `/admin/v1/incidents/:id/actions/${verb}-all`,
      {
        schema: {
          tags,
          summary: `${summary}, logged on the incident`,
          params: IdParams,
          body,
          response: withProblems({ 200: BulkResultSchema }),
        },
      },
      async (request, reply) =>
        bulk(
          request,
          reply,
          verb,
          request.body as RotateAll | RevokeAll,
          (request.params as { id: string }).id,
        ),
    );
    app.post(
      `/admin/v1/credentials/${verb}-all`,
      { schema: { tags, summary, body, response: withProblems({ 200: BulkResultSchema }) } },
      async (request, reply) => bulk(request, reply, verb, request.body as RotateAll | RevokeAll, null),
    );
  }

  app.get(
    '/admin/v1/bulk-actions/:id',
    {
      schema: {
        tags,
        summary: 'Get a bulk action and what it did to each credential (never a secret)',
        params: IdParams,
        response: withProblems({ 200: BulkResultSchema }),
      },
    },
    async (request) => bulkActions.get(request.params.id),
  );

  app.post(
    '/admin/v1/bulk-actions/:id/resume',
    {
      schema: {
        tags,
        summary: 'Finish a bulk action a crash cut short (the new secrets of all its credentials, once)',
        params: IdParams,
        response: withProblems({ 200: BulkResultSchema }),
      },
    },
    async (request, reply) =>
      sendBulk(reply, await bulkActions.resume(request.params.id, auditContextOf(request))),
  );
}

function toBulkRequest(
  verb: BulkRequest['verb'],
  body: RotateAll | RevokeAll,
  incidentId: string | null,
): BulkRequest {
  const { dry_run, ...rest } = body;
  const { overlap_seconds, reason, ...selection } = rest as RotateAll & RevokeAll;
  return {
    verb,
    selection: selection as Selection,
    incidentId,
    overlapSeconds: overlap_seconds ?? 0,
    reason: reason ?? null,
    dryRun: dry_run ?? false,
  };
}

/** Runs a bulk action; an Idempotency-Key makes a repeat resume (or replay) the action it started. */
async function runBulk(
  bulkActions: BulkActions,
  request: FastifyRequest,
  reply: FastifyReply,
  bulkRequest: BulkRequest,
): Promise<FastifyReply> {
  const pending = request.idempotency;
  const idempotency: BulkIdempotency | undefined = pending
    ? { actorId: pending.scope.actorId, key: pending.scope.key, requestHash: pending.requestHash }
    : undefined;
  return sendBulk(reply, await bulkActions.run(bulkRequest, auditContextOf(request), idempotency));
}

function sendBulk(reply: FastifyReply, result: BulkResult): FastifyReply {
  if (result.replayed) reply.header('idempotent-replayed', 'true');
  return reply.send(result);
}
