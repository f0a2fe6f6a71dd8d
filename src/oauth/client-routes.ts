import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { respondToChange } from '../admin/change-response.ts';
import { auditContextOf } from '../audit/audit-context.ts';
import { DEFAULT_OVERLAP_SECONDS } from '../credentials/rotating-secrets.ts';
import { etagOf, versionFromIfMatch } from '../http/etag.ts';
import { assertImmutableUnchanged } from '../http/immutable-fields.ts';
import { IdParams, pageSchema, withProblems } from '../http/schemas.ts';
import {
  ClientListQuery,
  CreateClientBody,
  IssuedClientSchema,
  OAuthClientSchema,
  ReplaceClientBody,
  RotateClientSecretBody,
  SigningKeySchema,
} from './client-schemas.ts';
import type { OAuth } from './oauth.ts';
import { IMMUTABLE_CLIENT_FIELDS } from './oauth-client.ts';

const tags = ['OAuth clients'];

/** `/admin/v1/clients` (OAuth clients, K6) and `/admin/v1/signing-keys` (token signing keys). */
export function registerOAuthRoutes(
  parent: FastifyInstance,
  { clients, signingKeys }: Pick<OAuth, 'clients' | 'signingKeys'>,
): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/admin/v1/clients',
    {
      schema: {
        tags,
        summary: 'Create an OAuth client; the secret is in this response only',
        body: CreateClientBody,
        response: withProblems({ 201: IssuedClientSchema }),
      },
    },
    async (request, reply) =>
      respondToChange(
        request,
        reply,
        (context) => clients.create(request.body, context),
        ({ client, secret }) => ({
          status: 201,
          location: `/admin/v1/clients/${client.id}`,
          etag: etagOf(client.version),
          body: { ...client, client_secret: secret },
        }),
      ),
  );

  app.get(
    '/admin/v1/clients',
    {
      schema: {
        tags,
        summary: 'List OAuth clients, newest first',
        querystring: ClientListQuery,
        response: withProblems({ 200: pageSchema(OAuthClientSchema) }),
      },
    },
    async (request) =>
      clients.list(request.query.integrator_id, request.query.limit ?? 50, request.query.cursor),
  );

  app.get(
    '/admin/v1/clients/:id',
    {
      schema: {
        tags,
        summary: 'Get an OAuth client',
        params: IdParams,
        response: withProblems({ 200: OAuthClientSchema }),
      },
    },
    async (request, reply) => {
      const client = await clients.get(request.params.id);
      return reply.header('etag', etagOf(client.version)).send(client);
    },
  );

  app.put(
    '/admin/v1/clients/:id',
    {
      schema: {
        tags,
        summary: 'Replace an OAuth client’s writable fields',
        params: IdParams,
        body: ReplaceClientBody,
        response: withProblems({ 200: OAuthClientSchema }),
      },
    },
    async (request, reply) => {
      const expected = versionFromIfMatch(request.headers['if-match']);
      const current = await clients.get(request.params.id);
      assertImmutableUnchanged(request.body, { ...current }, IMMUTABLE_CLIENT_FIELDS);
      const { name, scopes, allowed_ips, token_ttl_seconds, metadata, rate_limit } = request.body;
      const client = await clients.replace(
        request.params.id,
        { name, scopes, allowed_ips, token_ttl_seconds, metadata, rate_limit },
        expected,
        auditContextOf(request),
      );
      return reply.header('etag', etagOf(client.version)).send(client);
    },
  );

  app.post(
    '/admin/v1/clients/:id/rotate-secret',
    {
      schema: {
        tags,
        summary: 'Issue a new client secret; the current one keeps working for the overlap window',
        params: IdParams,
        body: RotateClientSecretBody,
        response: withProblems({ 200: IssuedClientSchema }),
      },
    },
    async (request, reply) => {
      const overlap = request.body?.overlap_seconds ?? DEFAULT_OVERLAP_SECONDS;
      return respondToChange(
        request,
        reply,
        (context) => clients.rotate(request.params.id, overlap, context),
        ({ client, secret }) => ({
          etag: etagOf(client.version),
          body: { ...client, client_secret: secret },
        }),
      );
    },
  );

  app.post(
    '/admin/v1/clients/:id/revoke',
    {
      schema: {
        tags,
        summary: 'Revoke an OAuth client and every token it holds',
        params: IdParams,
        response: withProblems({ 200: OAuthClientSchema }),
      },
    },
    async (request, reply) =>
      respondToChange(
        request,
        reply,
        (context) => clients.revoke(request.params.id, null, context),
        (client) => ({ etag: etagOf(client.version), body: client }),
      ),
  );

  app.get(
    '/admin/v1/signing-keys',
    {
      schema: {
        tags,
        summary: 'List token signing keys',
        response: withProblems({ 200: Type.Object({ data: Type.Array(SigningKeySchema) }) }),
      },
    },
    async () => ({ data: await signingKeys.list() }),
  );

  app.post(
    '/admin/v1/signing-keys/rotate',
    {
      schema: {
        tags,
        summary: 'Sign new tokens with a new key; the old one stays published until its tokens expire',
        response: withProblems({ 200: SigningKeySchema }),
      },
    },
    async (request, reply) =>
      respondToChange(
        request,
        reply,
        (context) => signingKeys.rotate(context),
        (summary) => ({ body: summary }),
      ),
  );
}
