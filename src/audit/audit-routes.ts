import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { Database } from '../db/database.ts';
import { decodeCursor, pageOf } from '../http/pagination.ts';
import { withProblems } from '../http/schemas.ts';
import type { AuditLog } from './audit-log.ts';
import { registerCheckpointRoutes } from './checkpoint-routes.ts';

const AuditQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    action: Type.Optional(Type.String({ maxLength: 100 })),
    target_id: Type.Optional(Type.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);
const AuditEntrySchema = Type.Object({
  seq: Type.Integer(),
  id: Type.String(),
  time: Type.String(),
  actor: Type.Object({
    type: Type.String(),
    id: Type.Union([Type.String(), Type.Null()]),
    name: Type.String(),
  }),
  action: Type.String(),
  target: Type.Object({ type: Type.String(), id: Type.Union([Type.String(), Type.Null()]) }),
  before: Type.Unknown(),
  after: Type.Unknown(),
  ip: Type.Union([Type.String(), Type.Null()]),
  request_id: Type.Union([Type.String(), Type.Null()]),
  prev_hash: Type.String(),
  hash: Type.String(),
});
const VerifySchema = Type.Object({
  ok: Type.Boolean(),
  entries_checked: Type.Integer(),
  started_after: Type.Union([Type.Integer(), Type.Null()]),
  first_broken: Type.Union([
    Type.Object({ seq: Type.Integer(), id: Type.Union([Type.String(), Type.Null()]), reason: Type.String() }),
    Type.Null(),
  ]),
});

const tags = ['Audit'];

/** `/admin/v1/audit`: the hash-chained trail of every admin change (L3). */
export function registerAuditRoutes(
  parent: FastifyInstance,
  { audit, database }: { audit: AuditLog; database: Database },
): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/admin/v1/audit',
    {
      schema: {
        tags,
        summary: 'List audit entries, newest first',
        querystring: AuditQuery,
        response: withProblems({
          200: Type.Object({
            data: Type.Array(AuditEntrySchema),
            next_cursor: Type.Union([Type.String(), Type.Null()]),
          }),
        }),
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const beforeSeq =
        request.query.cursor === undefined ? undefined : decodeCursor<number>(request.query.cursor, 'number');
      const entries = await audit.list(database.db, {
        limit: limit + 1,
        beforeSeq,
        action: request.query.action,
        targetId: request.query.target_id,
      });
      return pageOf(
        entries,
        limit,
        (entry) => entry,
        (entry) => entry.seq,
      );
    },
  );

  app.post(
    '/admin/v1/audit/verify',
    {
      config: { role: 'auditor' },
      schema: {
        tags,
        summary: 'Check the whole chain; reports the first broken link',
        response: withProblems({ 200: VerifySchema }),
      },
    },
    async () => audit.verify(database.db),
  );

  registerCheckpointRoutes(parent, { audit, database, entrySchema: AuditEntrySchema });
}
