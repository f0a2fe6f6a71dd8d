import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Secret } from '../../src/crypto/secret.ts';

const BASE_URL = process.env.GATEHOUSE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestPostgres {
  /** A URL whose connections use a fresh schema of their own. */
  readonly url: Secret;
  drop(): Promise<void>;
}

let reachable: Promise<boolean> | undefined;

/**
 * A private PostgreSQL schema for one test file, or undefined when no server is reachable. In CI
 * (`CI` set) an unreachable server is an error: those tests must run there, not skip.
 */
export async function createTestPostgres(): Promise<TestPostgres | undefined> {
  reachable ??= probe();
  if (!(await reachable)) {
    if (process.env.CI)
      throw new Error(`PostgreSQL is required in CI but ${redact(BASE_URL)} is not reachable`);
    return undefined;
  }
  const schema = `gh_test_${randomBytes(6).toString('hex')}`;
  await withClient((client) => client.query(`create schema ${schema}`));
  const url = new URL(BASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: new Secret(url.toString()),
    drop: () => withClient((client) => client.query(`drop schema ${schema} cascade`)).then(() => undefined),
  };
}

export const POSTGRES_SKIP_MESSAGE = `PostgreSQL not reachable at ${redact(BASE_URL)}: PostgreSQL tests skipped (they run in CI)`;

async function probe(): Promise<boolean> {
  try {
    await withClient((client) => client.query('select 1'));
    return true;
  } catch {
    return false;
  }
}

async function withClient<T>(body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: BASE_URL, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@');
}
