import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createLogger } from '../src/log/logger.ts';
import { type Config, loadConfig } from '../src/server/config.ts';
import { createServices, type Services } from '../src/server/services.ts';

export const BENCH_POSTGRES_URL =
  process.env.GATEHOUSE_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface BenchDeployment {
  readonly config: Config;
  readonly services: Services;
  close(): Promise<void>;
}

/** A throwaway deployment for benchmarks: fresh secrets, a temp data dir, optionally a PostgreSQL schema. */
export async function openBenchDeployment(
  options: { postgres?: boolean; env?: Record<string, string> } = {},
): Promise<BenchDeployment> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  let schema: string | undefined;
  let databaseUrl: string | undefined;
  if (options.postgres) {
    schema = `gh_bench_${randomBytes(4).toString('hex')}`;
    await adminQuery(`create schema ${schema}`);
    const url = new URL(BENCH_POSTGRES_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    databaseUrl = url.toString();
  }
  const config = loadConfig({
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_PEPPER: randomBytes(32).toString('base64url'),
    GATEHOUSE_ENCRYPTION_KEYS: `1:${randomBytes(32).toString('base64')}`,
    ...(databaseUrl ? { GATEHOUSE_DATABASE_URL: databaseUrl } : {}),
    ...options.env,
  });
  const services = await createServices(config, createLogger({ level: 'silent' }));
  return {
    config,
    services,
    async close() {
      await services.close();
      if (schema) await adminQuery(`drop schema ${schema} cascade`);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function postgresReachable(): Promise<boolean> {
  try {
    await adminQuery('select 1');
    return true;
  } catch {
    return false;
  }
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: BENCH_POSTGRES_URL, connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
