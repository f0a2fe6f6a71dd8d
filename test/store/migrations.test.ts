import assert from 'node:assert/strict';
import { it } from 'node:test';
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
    const tables = await two.db.introspection.getTables();
    await two.close();
    assert.ok(tables.some((table) => table.name === 'api_keys'));
  } finally {
    await first.drop();
    await second.drop();
  }
});
