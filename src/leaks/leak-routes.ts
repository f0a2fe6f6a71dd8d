import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { auditContextOf } from '../audit/audit-context.ts';
import { withProblems } from '../http/schemas.ts';
import type { LeakedCredentials } from './leaked-credentials.ts';

const tags = ['Credentials'];

/** Secrets go in the body, never a URL; a scan's findings fit in a few calls of 100. */
const SecretsBody = Type.Object(
  {
    credentials: Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { minItems: 1, maxItems: 100 }),
  },
  { additionalProperties: false },
);

const RevokeLeakedBody = Type.Object(
  {
    credentials: SecretsBody.properties.credentials,
    url: Type.Optional(
      Type.String({
        maxLength: 2048,
        description: 'Where the credentials were found (for the event and alert)',
      }),
    ),
  },
  { additionalProperties: false },
);

const Status = Type.Union([Type.Literal('live'), Type.Literal('revoked'), Type.Literal('unknown')]);
const Check = Type.Object({
  hint: Type.String(),
  kind: Type.String(),
  status: Status,
  credential_id: Type.Union([Type.String(), Type.Null()]),
});
const Action = Type.Object({ ...Check.properties, revoked: Type.Boolean() });

/**
 * `POST /admin/v1/credentials/check` and `/revoke-leaked` (O2): what `gatehouse scan --check` and
 * `--revoke` ask. Each answers per credential, in order, with no more than live / revoked / unknown
 * and the id; revoking is audited as the calling admin and raises the `credential_leaked` alert.
 */
export function registerLeakRoutes(parent: FastifyInstance, leaks: LeakedCredentials): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/admin/v1/credentials/check',
    {
      config: { role: 'auditor' },
      schema: {
        tags,
        summary: 'Tell whether each presented secret is a live credential of this deployment',
        body: SecretsBody,
        response: withProblems({ 200: Type.Object({ results: Type.Array(Check) }) }),
      },
    },
    async (request) => ({ results: await leaks.check(request.body.credentials) }),
  );

  app.post(
    '/admin/v1/credentials/revoke-leaked',
    {
      schema: {
        tags,
        summary: 'Revoke every live credential among the presented secrets, as leaked',
        body: RevokeLeakedBody,
        response: withProblems({ 200: Type.Object({ results: Type.Array(Action) }) }),
      },
    },
    async (request) => ({
      results: await leaks.answer(request.body.credentials, {
        source: { reporter: 'scan', url: request.body.url, ip: request.ip },
        revoke: true,
        context: auditContextOf(request),
      }),
    }),
  );
}
