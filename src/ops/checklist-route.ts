import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { withProblems } from '../http/schemas.ts';
import type { Checklist } from './checklist.ts';

const Status = Type.Union([Type.Literal('pass'), Type.Literal('warn'), Type.Literal('fail')]);
export const ChecklistSchema = Type.Object({
  status: Status,
  checked_at: Type.String(),
  checks: Type.Array(
    Type.Object({
      id: Type.String(),
      title: Type.String(),
      status: Status,
      detail: Type.String(),
      fix: Type.String(),
    }),
  ),
});

/** `GET /admin/v1/checklist` (O1): the security checklist of this running deployment, any admin role. */
export function registerChecklistRoute(parent: FastifyInstance, checklist: Pick<Checklist, 'run'>): void {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/admin/v1/checklist',
    {
      schema: {
        tags: ['Operations'],
        summary: 'Check this deployment against the security checklist (what `gatehouse doctor` shows)',
        response: withProblems({ 200: ChecklistSchema }),
      },
    },
    () => checklist.run(),
  );
}
