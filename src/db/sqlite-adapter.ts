import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

type SqliteValue = null | number | bigint | string | Uint8Array;

const STATEMENT_CACHE_SIZE = 256;

/**
 * Presents `node:sqlite` through the small interface Kysely's SQLite dialect expects, and keeps
 * prepared statements so hot queries are compiled once.
 */
export function adaptNodeSqlite(database: DatabaseSync): SqliteDatabase {
  const statements = new Map<string, SqliteStatement>();

  const prepare = (sql: string): SqliteStatement => {
    // Kysely opens transactions with a plain (deferred) BEGIN. With another connection writing to
    // the same file (the data path's thread has its own), a transaction that reads and then writes
    // would fail with SQLITE_BUSY instead of waiting; an immediate one takes the write lock first.
    if (sql === 'begin') sql = 'begin immediate';
    const cached = statements.get(sql);
    if (cached) return cached;
    const statement = wrap(database.prepare(sql));
    if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value as string);
    statements.set(sql, statement);
    return statement;
  };

  return {
    prepare,
    close: () => {
      statements.clear();
      database.close();
    },
  };
}

function wrap(statement: StatementSync): SqliteStatement {
  return {
    reader: statement.columns().length > 0,
    all: (parameters) => statement.all(...toSqlite(parameters)),
    run: (parameters) => statement.run(...toSqlite(parameters)),
    iterate: (parameters) => statement.iterate(...toSqlite(parameters)),
  };
}

function toSqlite(parameters: ReadonlyArray<unknown>): SqliteValue[] {
  return parameters.map((value) => {
    if (value === undefined) return null;
    if (typeof value === 'boolean') return value ? 1 : 0;
    return value as SqliteValue;
  });
}
