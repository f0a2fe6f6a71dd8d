import { type Kysely, type Migration, Migrator, sql } from 'kysely';

/**
 * On PostgreSQL the migrator's own tables are pinned to the connection's current schema: left
 * unqualified, the migrator would take another schema's `kysely_migration_lock` (another Gatehouse,
 * another app in the same database) for its own and fail, or skip creating it. The numbered list
 * of migrations belongs to the composition root (`server/migrations.ts`).
 */
export async function migrateToLatest(
  // biome-ignore lint/suspicious/noExplicitAny: the migrator works on any schema
  db: Kysely<any>,
  dialect: 'sqlite' | 'postgres',
  migrations: Readonly<Record<string, Migration>>,
): Promise<void> {
  const migrationTableSchema = dialect === 'postgres' ? await currentSchema(db) : undefined;
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => ({ ...migrations }) },
    ...(migrationTableSchema === undefined ? {} : { migrationTableSchema }),
  });
  let { error, results } = await migrator.migrateToLatest();
  // Before it runs anything the migrator lists every table of the database, and on PostgreSQL that
  // catalog read fails when another schema is dropped at the same moment (another app, a parallel
  // test run). Nothing has run then, so reading again is safe.
  for (let retry = 0; retry < 3 && error && (results ?? []).length === 0 && isCatalogRace(error); retry++)
    ({ error, results } = await migrator.migrateToLatest());
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${(error as Error).message}`, { cause: error });
  }
}

// biome-ignore lint/suspicious/noExplicitAny: any schema
async function currentSchema(db: Kysely<any>): Promise<string | undefined> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  return rows[0]?.schema ?? undefined;
}

/** undefined_column / undefined_table from a catalog read racing another session's DDL. */
function isCatalogRace(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '42703' || code === '42P01';
}
