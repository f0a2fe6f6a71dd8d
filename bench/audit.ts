import { sql } from 'kysely';
import type { AuditContext } from '../src/audit/audit-log.ts';
import { openBenchDeployment, postgresReachable } from './deployment.ts';
import { measure, printComparison } from './harness.ts';

const context: AuditContext = {
  actor: { type: 'admin_token', id: 'bench', name: 'bench' },
  ip: '127.0.0.1',
  requestId: 'bench',
};

/**
 * Audit appends per second (each in its own transaction: lock the head, insert the linked entry,
 * move the head) beside one plain INSERT of a row of the same shape per append, on each database.
 */
export async function benchAudit(): Promise<void> {
  for (const postgres of [false, ...((await postgresReachable()) ? [true] : [])]) {
    const deployment = await openBenchDeployment({ postgres });
    const { db } = deployment.services.database;
    try {
      await sql`create table bench_plain (id text primary key, created_at bigint, action text, before_json text, after_json text, hash text)`.execute(
        db,
      );
      const after = { id: 'k', name: 'billing sync', scopes: ['orders:read'], environment: 'production' };
      let n = 0;
      const durationMs = postgres ? 3000 : 2000;
      const baseline = await measure(
        'plain INSERT per append',
        () =>
          sql`insert into bench_plain values (${`p${n++}`}, ${Date.now()}, 'key.update', null, ${JSON.stringify(after)}, 'x')`.execute(
            db,
          ),
        { durationMs, batch: 16 },
      );
      const append = await measure(
        'audit append (hash-chained, own transaction)',
        () =>
          db.transaction().execute((trx) =>
            deployment.services.audit.append(trx, {
              ...context,
              action: 'key.update',
              target: { type: 'api_key', id: 'k' },
              after,
            }),
          ),
        { durationMs, batch: 16 },
      );
      const verified = await deployment.services.audit.verify(db);
      printComparison(
        `audit appends/s on ${postgres ? 'PostgreSQL' : 'SQLite'} (chain of ${verified.entries_checked} verified: ${verified.ok})`,
        baseline,
        [append],
      );
    } finally {
      await deployment.close();
    }
  }
}
