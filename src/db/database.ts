import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Kysely, type Migration, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { createPrivateFile, ensurePrivateDir, restrictFile } from '../config/private-files.ts';
import { endpointOf, reasonOf, StartupError } from '../config/startup-error.ts';
import type { Secret } from '../crypto/secret.ts';
import { migrateToLatest } from './migrations.ts';
import type { Schema } from './schema.ts';
import { adaptNodeSqlite } from './sqlite-adapter.ts';

export type DialectName = 'sqlite' | 'postgres';

export interface Database {
  readonly db: Kysely<Schema>;
  readonly dialect: DialectName;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** PostgreSQL connection URL; without one the embedded SQLite file in `dataDir` is used. */
  readonly url: Secret | null;
  readonly dataDir: string;
  /** Largest number of pooled PostgreSQL connections. */
  readonly poolSize?: number;
  /** The numbered schema changes to bring the database up to (`server/migrations.ts`). */
  readonly migrations: Readonly<Record<string, Migration>>;
}

const INT8_OID = 20;

/** Opens the configured database and brings its schema to the latest migration. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const database = options.url
    ? await openPostgres(options.url, options.poolSize ?? 10)
    : openSqliteIn(options.dataDir);
  try {
    await migrateToLatest(database.db, database.dialect, options.migrations);
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

function openSqliteIn(dataDir: string): Database {
  try {
    return openSqlite(dataDir);
  } catch (error) {
    throw new StartupError(
      `cannot open the SQLite database in ${dataDir} (GATEHOUSE_DATA_DIR): ${reasonOf(error)}; make the directory writable by this user, or set GATEHOUSE_DATA_DIR to one that is`,
      { cause: error },
    );
  }
}

function openSqlite(dataDir: string): Database {
  ensurePrivateDir(dataDir);
  const path = join(dataDir, 'gatehouse.sqlite');
  // SQLite creates the -wal and -shm files with the database file's permissions: a 0600 database
  // keeps all three private whatever the umask (and an older install's files are narrowed here).
  createPrivateFile(path);
  restrictFile(`${path}-wal`);
  restrictFile(`${path}-shm`);
  const file = new DatabaseSync(path, { timeout: 5000 });
  // WAL with synchronous=NORMAL survives a process crash without losing committed transactions;
  // only an OS crash or power loss can drop the last ones.
  file.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;');
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: adaptNodeSqlite(file) }) });
  return { db, dialect: 'sqlite', close: () => db.destroy() };
}

async function openPostgres(url: Secret, poolSize: number): Promise<Database> {
  const pool = new pg.Pool({
    connectionString: url.reveal(),
    max: poolSize,
    // Times and counters are bigint columns holding milliseconds; they fit a JS number exactly.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // A pooled connection dropping (database restart) must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  try {
    await pool.query('select 1');
  } catch (error) {
    await pool.end().catch(() => {});
    // A server's own errors (28P01 bad password, 3D000 no such database) say it in their message.
    const reason =
      typeof (error as { severity?: unknown }).severity === 'string'
        ? (error as Error).message
        : reasonOf(error);
    throw new StartupError(
      `cannot connect to PostgreSQL at ${endpointOf(url.reveal(), 5432)} (GATEHOUSE_DATABASE_URL): ${reason}; start PostgreSQL or correct GATEHOUSE_DATABASE_URL`,
      { cause: error },
    );
  }
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', close: () => db.destroy() };
}
