import { sql } from 'kysely';
import type { AuditContext } from '../src/audit/audit-log.ts';
import { changeTransaction } from '../src/audit/change-transaction.ts';
import { openBenchDeployment, postgresReachable } from './deployment.ts';
import { abbaRounds, measureConcurrent, printRounds } from './harness.ts';

const context: AuditContext = {
  actor: { type: 'admin_token', id: 'bench', name: 'bench' },
  ip: '127.0.0.1',
  requestId: 'bench',
};
const ROUNDS = 4;
/** One caller (each append waits for the one before) and many (admin requests arriving together). */
const CONCURRENCY = [1, 16] as const;

/**
 * Audit appends per second, each its own change (`changeTransaction` + `audit.append`: link the
 * entry to the chain, commit), beside one plain autocommit INSERT of a row of the same shape per
 * append, from the same number of concurrent callers, on each database. Ends with the JSON line.
 */
export async function benchAudit(): Promise<void> {
  const ratios: Record<string, number> = {};
  const figures: Record<string, unknown> = {};
  for (const postgres of [false, ...((await postgresReachable()) ? [true] : [])]) {
    const store = postgres ? 'postgres' : 'sqlite';
    const deployment = await openBenchDeployment({ postgres });
    const { db } = deployment.services.database;
    const { audit } = deployment.services;
    try {
      await sql`create table bench_plain (id text primary key, created_at bigint, action text, before_json text, after_json text, hash text)`.execute(
        db,
      );
      const after = { id: 'k', name: 'billing sync', scopes: ['orders:read'], environment: 'production' };
      let n = 0;
      const durationMs = postgres ? 1500 : 1000;
      const insert = () =>
        sql`insert into bench_plain values (${`p${n++}`}, ${Date.now()}, 'key.update', null, ${JSON.stringify(after)}, 'x')`.execute(
          db,
        );
      const append = () =>
        changeTransaction(db, context, (trx) =>
          audit.append(trx, {
            ...context,
            action: 'key.update',
            target: { type: 'api_key', id: 'k' },
            after,
          }),
        );
      for (const concurrency of CONCURRENCY) {
        const plainLabel = `plain INSERT, ${concurrency} caller${concurrency > 1 ? 's' : ''}`;
        const appendLabel = `audit append (own change), ${concurrency} caller${concurrency > 1 ? 's' : ''}`;
        await measureConcurrent('warm-up', insert, { durationMs: 300, concurrency });
        await measureConcurrent('warm-up', append, { durationMs: 300, concurrency });
        const result = await abbaRounds(
          {
            label: plainLabel,
            run: () => measureConcurrent(plainLabel, insert, { durationMs, concurrency }),
          },
          {
            label: appendLabel,
            run: () => measureConcurrent(appendLabel, append, { durationMs, concurrency }),
          },
          ROUNDS,
        );
        const ratio = printRounds(
          `audit appends/s on ${store}, ${concurrency} concurrent`,
          plainLabel,
          appendLabel,
          result,
        );
        ratios[`${store}_c${concurrency}`] = ratio;
        figures[`${store}_c${concurrency}`] = {
          plain_per_s: Math.round(result.a.reduce((x, y) => x + y) / result.a.length),
          append_per_s: Math.round(result.b.reduce((x, y) => x + y) / result.b.length),
          round_ratios: result.ratios.map((r) => Number(r.toFixed(3))),
        };
      }
      const verified = await audit.verify(db);
      console.log(`  chain of ${verified.entries_checked} entries verified: ${verified.ok}`);
      figures[`${store}_chain_verified`] = verified.ok;
      if (!verified.ok) throw new Error(`the audit chain broke under the bench: ${JSON.stringify(verified)}`);
    } finally {
      await deployment.close();
    }
  }
  console.log(JSON.stringify({ bench: 'audit', ratios, figures }));
}
