import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { respondToChange } from '../admin/change-response.ts';
import { auditContextOf } from '../audit/audit-context.ts';
import { etagOf, versionFromIfMatch } from '../http/etag.ts';
import { assertImmutableUnchanged } from '../http/immutable-fields.ts';
import { IdParams, pageSchema, withProblems } from '../http/schemas.ts';
import { IMMUTABLE_KEY_FIELDS } from './api-key.ts';
import {
  ApiKeySchema,
  CreateKeyBody,
  IssuedKeySchema,
  KeyListQuery,
  ReplaceKeyBody,
  RevokeKeyBody,
  RotateKeyBody,
} from './key-schemas.ts';
import { DEFAULT_OVERLAP_SECONDS, type KeyService } from './key-service.ts';

const tags = ['API keys'];

/** `/admin/v1/keys`: the API key resource (K1–K3, K5, C3–C5, C8). */
export function registerKeyRoutes(parent: FastifyInstance, keys: KeyService): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/admin/v1/keys',
    {
      schema: {
        tags,
        summary: 'Create an API key; the secret is in this response only',
        body: CreateKeyBody,
        response: withProblems({ 201: IssuedKeySchema }),
      },
    },
    async (request, reply) =>
      respondToChange(
        request,
        reply,
        (context) => keys.create(request.body, context),
        ({ key, secret }) => ({
          status: 201,
          location: `/admin/v1/keys/${key.id}`,
          etag: etagOf(key.version),
          body: { ...key, key: secret },
        }),
      ),
  );

  app.get(
    '/admin/v1/keys',
    {
      schema: {
        tags,
        summary: 'List API keys, newest first',
        querystring: KeyListQuery,
        response: withProblems({ 200: pageSchema(ApiKeySchema) }),
      },
    },
    async (request) => {
      const { limit = 50, cursor, integrator_id, environment, status } = request.query;
      return keys.list({ integratorId: integrator_id, environment, status }, limit, cursor);
    },
  );

  app.get(
    '/admin/v1/keys/:id',
    {
      schema: {
        tags,
        summary: 'Get an API key',
        params: IdParams,
        response: withProblems({ 200: ApiKeySchema }),
      },
    },
    async (request, reply) => {
      const key = await keys.get(request.params.id);
      return reply.header('etag', etagOf(key.version)).send(key);
    },
  );

  app.put(
    '/admin/v1/keys/:id',
    {
      schema: {
        tags,
        summary: 'Replace an API key’s writable fields (send If-Match to detect concurrent edits)',
        params: IdParams,
        body: ReplaceKeyBody,
        response: withProblems({ 200: ApiKeySchema }),
      },
    },
    async (request, reply) => {
      const expected = versionFromIfMatch(request.headers['if-match']);
      const current = await keys.get(request.params.id);
      assertImmutableUnchanged(request.body, { ...current }, IMMUTABLE_KEY_FIELDS);
      const { name, owner, scopes, allowed_ips, expires_at, metadata, usage_limit, rate_limit } =
        request.body;
      const input = { name, owner, scopes, allowed_ips, expires_at, metadata, usage_limit, rate_limit };
      const key = await keys.replace(request.params.id, input, expected, auditContextOf(request));
      return reply.header('etag', etagOf(key.version)).send(key);
    },
  );

  app.post(
    '/admin/v1/keys/:id/rotate',
    {
      schema: {
        tags,
        summary: 'Issue a new secret; the current one keeps working for the overlap window',
        params: IdParams,
        body: RotateKeyBody,
        response: withProblems({ 200: IssuedKeySchema }),
      },
    },
    async (request, reply) => {
      const overlap = request.body?.overlap_seconds ?? DEFAULT_OVERLAP_SECONDS;
      return respondToChange(
        request,
        reply,
        (context) => keys.rotate(request.params.id, overlap, context),
        ({ key, secret }) => ({ etag: etagOf(key.version), body: { ...key, key: secret } }),
      );
    },
  );

  app.post(
    '/admin/v1/keys/:id/revoke',
    {
      schema: {
        tags,
        summary: 'Revoke an API key at once',
        params: IdParams,
        body: RevokeKeyBody,
        response: withProblems({ 200: ApiKeySchema }),
      },
    },
    async (request, reply) =>
      respondToChange(
        request,
        reply,
        (context) => keys.revoke(request.params.id, request.body?.reason ?? null, context),
        (key) => ({ etag: etagOf(key.version), body: key }),
      ),
  );
}
