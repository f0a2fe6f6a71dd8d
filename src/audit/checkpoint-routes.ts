import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { Database } from '../db/database.ts';
import { decodeCursor, pageOf } from '../http/pagination.ts';
import { withProblems } from '../http/schemas.ts';
import type { AuditLog } from './audit-log.ts';

const CheckpointSchema = Type.Object({
  seq: Type.Integer(),
  entry_id: Type.String(),
  hash: Type.String(),
  digest: Type.String(),
  time: Type.String(),
  key_id: Type.String(),
  signature: Type.String(),
});
const PublicKeySchema = Type.Object({
  key_id: Type.String(),
  algorithm: Type.Literal('Ed25519'),
  public_key_pem: Type.String(),
  jwk: Type.Object({ kty: Type.String(), crv: Type.String(), x: Type.String() }),
  created_at: Type.String(),
});
const PageQuery = (max: number) =>
  Type.Object(
    {
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: max, default: 50 })),
      cursor: Type.Optional(Type.String({ maxLength: 200 })),
      through_seq: Type.Optional(Type.Integer({ minimum: 0 })),
    },
    { additionalProperties: false },
  );

const tags = ['Audit'];

/**
 * Signed checkpoints, the audit public key and the export listing (L3): what `gatehouse audit
 * export` reads, and what an auditor verifies offline with `gatehouse audit verify --file`.
 */
export function registerCheckpointRoutes(
  parent: FastifyInstance,
  {
    audit,
    database,
    entrySchema,
  }: { audit: AuditLog; database: Database; entrySchema: ReturnType<typeof Type.Object> },
): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/admin/v1/audit/public-key',
    {
      schema: {
        tags,
        summary:
          'The Ed25519 public key checkpoints are signed with (SPKI PEM and JWK), for auditors to keep',
        response: withProblems({ 200: PublicKeySchema }),
      },
    },
    () => audit.signingKey.publicKey(database.db),
  );

  app.get(
    '/admin/v1/audit/checkpoints',
    {
      schema: {
        tags,
        summary: 'List signed checkpoints of the chain head, newest first',
        querystring: PageQuery(200),
        response: withProblems({
          200: Type.Object({
            data: Type.Array(CheckpointSchema),
            next_cursor: Type.Union([Type.String(), Type.Null()]),
          }),
        }),
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const cursor = request.query.cursor;
      const rows = await audit.checkpoints.list(database.db, {
        limit: limit + 1,
        beforeSeq: cursor === undefined ? undefined : decodeCursor<number>(cursor, 'number'),
        throughSeq: request.query.through_seq,
      });
      return pageOf(
        rows,
        limit,
        (row) => row,
        (row) => row.seq,
      );
    },
  );

  app.post(
    '/admin/v1/audit/checkpoints',
    {
      config: { role: 'admin' },
      schema: {
        tags,
        summary: 'Sign the chain head now (200 when the newest checkpoint already covers it)',
        response: withProblems({
          200: Type.Object({
            checkpoint: Type.Union([CheckpointSchema, Type.Null()]),
            created: Type.Boolean(),
          }),
          201: Type.Object({ checkpoint: CheckpointSchema, created: Type.Boolean() }),
        }),
      },
    },
    async (_request, reply) => {
      const outcome = await audit.checkpoints.create(database.db);
      if (outcome?.created) return reply.code(201).send(outcome);
      return { checkpoint: outcome?.checkpoint ?? null, created: false };
    },
  );

  app.get(
    '/admin/v1/audit/export',
    {
      schema: {
        tags,
        summary: 'Every audit entry, oldest first, for an export (`through_seq`: up to a checkpoint)',
        querystring: PageQuery(1000),
        response: withProblems({
          200: Type.Object({
            data: Type.Array(entrySchema),
            next_cursor: Type.Union([Type.String(), Type.Null()]),
          }),
        }),
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const cursor = request.query.cursor;
      const entries = await audit.listAscending(database.db, {
        limit: limit + 1,
        afterSeq: cursor === undefined ? undefined : decodeCursor<number>(cursor, 'number'),
        throughSeq: request.query.through_seq,
      });
      return pageOf(
        entries,
        limit,
        (entry) => entry,
        (entry) => entry.seq,
      );
    },
  );
}
