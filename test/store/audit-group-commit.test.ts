import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { AuditContext } from '../../src/audit/audit-log.ts';
import { changeTransaction } from '../../src/audit/change-transaction.ts';
import { createLogger } from '../../src/log/logger.ts';
import type { Config } from '../../src/server/config.ts';
import { createServices, type Services } from '../../src/server/services.ts';
import { createTestPostgres, POSTGRES_SKIP_MESSAGE, type TestPostgres } from '../support/postgres.ts';
import { testConfig } from '../support/test-config.ts';

/**
 * Group commit of audited changes (`changeTransaction`), on every supported database: changes that
 * arrive together share a transaction, yet each one commits or fails on its own, is acknowledged
 * only once committed, and the chain stays exact.
 */
const postgres = await createTestPostgres();
const backends: { name: string; skip: string | false; database: () => TestPostgres | undefined }[] = [
  { name: 'SQLite', skip: false, database: () => undefined },
  { name: 'PostgreSQL', skip: postgres ? false : POSTGRES_SKIP_MESSAGE, database: () => postgres },
];
const context: AuditContext = {
  actor: { type: 'admin_token', id: 'test-token', name: 'group commit' },
  ip: '127.0.0.1',
  requestId: 'r1',
};

class Refused extends Error {}

for (const backend of backends) {
  describe(`audit group commit on ${backend.name}`, { skip: backend.skip }, () => {
    let config: Config;
    let services: Services;
    /** A second instance on the same database: another SQLite connection, another PostgreSQL pool. */
    let other: Services;

    before(async () => {
      const pg = backend.database();
      config = testConfig(pg ? { GATEHOUSE_DATABASE_URL: pg.url.reveal() } : {});
      services = await createServices(config, createLogger({ level: 'silent' }));
      other = await createServices(config, createLogger({ level: 'silent' }));
      await sql`create table group_changes (id text primary key, caller integer not null)`.execute(
        services.database.db,
      );
    });
    after(async () => {
      await other.close();
      await services.close();
      await backend.database()?.drop();
      rmSync(config.dataDir, { recursive: true, force: true });
    });

    /** One audited change: a row of its own and an audit entry naming it, in one changeTransaction. */
    const change = (on: Services, id: string, caller: number, fail?: 'before_append' | 'after_append') =>
      changeTransaction(on.database.db, context, async (trx) => {
        await trx
          .insertInto('group_changes' as never)
          .values({ id, caller } as never)
          .execute();
        if (fail === 'before_append') throw new Refused(id);
        await on.audit.append(trx, {
          ...context,
          action: 'group.change',
          target: { type: 'group_change', id },
          after: { id, caller },
        });
        if (fail === 'after_append') throw new Refused(id);
        return id;
      });
    const rowsOf = (ids: readonly string[]) =>
      services.database.db
        .selectFrom('group_changes' as never)
        .select(sql<string>`id`.as('id'))
        .where(sql.ref('id'), 'in', ids)
        .execute();
    const entriesOf = (ids: readonly string[]) =>
      services.database.db
        .selectFrom('audit_log')
        .select('target_id')
        .where('target_id', 'in', ids)
        .execute();

    it('many concurrent changes commit each with exactly one entry, in one unbroken chain', async () => {
      const ids = Array.from({ length: 150 }, (_, i) => `many-${i}`);
      const results = await Promise.all(ids.map((id, i) => change(services, id, i)));
      assert.deepEqual(results, ids);
      assert.equal((await rowsOf(ids)).length, ids.length);
      const entries = await entriesOf(ids);
      assert.deepEqual(entries.map((e) => e.target_id).sort(), [...ids].sort());
      const verified = await services.audit.verify(services.database.db);
      assert.equal(verified.ok, true, JSON.stringify(verified));
    });

    it('a change that fails among concurrent ones leaves neither its write nor its entry; the others commit', async () => {
      const ids = Array.from({ length: 60 }, (_, i) => `mixed-${i}`);
      const failing = (i: number) =>
        i % 3 === 0 ? 'after_append' : i % 5 === 0 ? 'before_append' : undefined;
      const settled = await Promise.allSettled(ids.map((id, i) => change(services, id, i, failing(i))));
      const committed = ids.filter((_, i) => failing(i) === undefined);
      const refused = ids.filter((_, i) => failing(i) !== undefined);
      for (const [i, outcome] of settled.entries()) {
        if (failing(i) === undefined) assert.equal(outcome.status, 'fulfilled');
        else assert.ok(outcome.status === 'rejected' && outcome.reason instanceof Refused);
      }
      assert.deepEqual((await rowsOf(committed)).map((r) => r.id).sort(), [...committed].sort());
      assert.deepEqual(await rowsOf(refused), []);
      assert.deepEqual(await entriesOf(refused), []);
      assert.equal((await entriesOf(committed)).length, committed.length);
      assert.equal((await services.audit.verify(services.database.db)).ok, true);
    });

    it('the first change of a group failing fails only it; the changes waiting behind it still commit', async () => {
      // The first call starts a transaction at once; the ones made meanwhile form the next group,
      // whose first member fails without a savepoint to roll back to.
      const first = change(services, 'lead-0', 0);
      const rest = ['lead-1', 'lead-2', 'lead-3'].map((id, i) =>
        change(services, id, i + 1, i === 0 ? 'after_append' : undefined),
      );
      await first;
      const outcomes = await Promise.allSettled(rest);
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ['rejected', 'fulfilled', 'fulfilled'],
      );
      assert.deepEqual((await rowsOf(['lead-0', 'lead-1', 'lead-2', 'lead-3'])).map((r) => r.id).sort(), [
        'lead-0',
        'lead-2',
        'lead-3',
      ]);
      assert.deepEqual(await entriesOf(['lead-1']), []);
      assert.equal((await services.audit.verify(services.database.db)).ok, true);
    });

    it('a change is acknowledged only once committed: another connection sees it the moment it settles', async () => {
      const ids = Array.from({ length: 40 }, (_, i) => `seen-${i}`);
      await Promise.all(
        ids.map(async (id, i) => {
          await change(services, id, i);
          const row = await other.database.db
            .selectFrom('audit_log')
            .select('target_id')
            .where('target_id', '=', id)
            .executeTakeFirst();
          assert.equal(row?.target_id, id, `${id} was acknowledged before another connection could read it`);
        }),
      );
    });

    // Two SQLite connections writing from one thread would wait on each other synchronously; the
    // second SQLite writer (the data path's thread) is covered by the busy timeout, not by this.
    it('two instances appending at once keep one exact chain', {
      skip: backend.name === 'SQLite' && 'PostgreSQL only',
    }, async () => {
      const ids = Array.from({ length: 120 }, (_, i) => `two-${i}`);
      await Promise.all(ids.map((id, i) => change(i % 2 === 0 ? services : other, id, i)));
      assert.equal((await entriesOf(ids)).length, ids.length);
      const verified = await other.audit.verify(other.database.db);
      assert.equal(verified.ok, true, JSON.stringify(verified));
      const seqs = await services.database.db.selectFrom('audit_log').select('seq').orderBy('seq').execute();
      assert.deepEqual(
        seqs.map((s) => s.seq),
        Array.from({ length: seqs.length }, (_, i) => (seqs[0]?.seq ?? 0) + i),
      );
    });

    it('when the group transaction itself fails, every change in it fails and none is recorded', async () => {
      // The third change of a group destroys its own savepoint and then fails, so it cannot be
      // rolled back alone: the transaction fails, and with it the two changes that had succeeded.
      const before = (await services.audit.verify(services.database.db)).entries_checked;
      const ids = ['broken-0', 'broken-1', 'broken-2'];
      const lead = change(services, 'broken-lead', 0);
      const group = ids.map((id, i) =>
        changeTransaction(services.database.db, context, async (trx) => {
          await trx
            .insertInto('group_changes' as never)
            .values({ id, caller: i } as never)
            .execute();
          await services.audit.append(trx, {
            ...context,
            action: 'group.change',
            target: { type: 'group_change', id },
          });
          if (i === 2) {
            await sql`release savepoint change_2`.execute(trx);
            throw new Refused(id);
          }
          return id;
        }),
      );
      await lead;
      const outcomes = await Promise.allSettled(group);
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ['rejected', 'rejected', 'rejected'],
      );
      assert.ok(outcomes[2]?.status === 'rejected' && outcomes[2].reason instanceof Refused);
      assert.deepEqual(await entriesOf(ids), []);
      assert.deepEqual(await rowsOf(ids), []);
      const verified = await services.audit.verify(services.database.db);
      assert.equal(verified.ok, true);
      assert.equal(verified.entries_checked, before + 1);
      // The queue goes on: the next change commits.
      assert.equal(await change(services, 'after-broken', 0), 'after-broken');
    });
  });
}
