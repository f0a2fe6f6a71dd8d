import assert from 'node:assert/strict';
import { it } from 'node:test';
import pg from 'pg';
import { openDatabase } from '../../src/db/database.ts';
import { MIGRATIONS } from '../../src/server/migrations.ts';
import { createTestPostgres, POSTGRES_SKIP_MESSAGE } from '../support/postgres.ts';

const first = await createTestPostgres();

it('migrates its own PostgreSQL schema when another schema of the database already holds Gatehouse tables', {
  skip: first ? false : POSTGRES_SKIP_MESSAGE,
}, async () => {
  const second = await createTestPostgres();
  assert.ok(first && second);
  try {
    const one = await openDatabase({ url: first.url, dataDir: '', migrations: MIGRATIONS });
    await one.close();
    const two = await openDatabase({ url: second.url, dataDir: '', migrations: MIGRATIONS });
    // Resolved through the connection's search path: the table exists in the second schema itself.
    const keys = await two.db.selectFrom('api_keys').select('id').execute();
    await two.close();
    assert.deepEqual(keys, []);
  } finally {
    await first.drop();
    await second.drop();
  }
});

it('migrates while other sessions create and drop schemas of the same database', {
  skip: first ? false : POSTGRES_SKIP_MESSAGE,
}, async () => {
  let migrating = true;
  let churned = 0;
  // Another test run in the same database: schemas with tables, appearing and going away.
  const churn = (async () => {
    while (migrating) {
      const other = await createTestPostgres();
      assert.ok(other);
      const client = new pg.Client({ connectionString: other.url.reveal() });
      await client.connect();
      await client.query('create table t1 (id int); create table t2 (id int)');
      await client.end();
      await other.drop();
      churned++;
    }
  })();
  try {
    for (let run = 0; run < 8 || churned < 8; run++) {
      const own = await createTestPostgres();
      assert.ok(own);
      const database = await openDatabase({ url: own.url, dataDir: '', migrations: MIGRATIONS });
      await database.close();
      await own.drop();
    }
  } finally {
    migrating = false;
    await churn;
  }
});
