import {
  type DatabaseIntrospector,
  type Kysely,
  type Migration,
  Migrator,
  sql,
  type TableMetadata,
} from 'kysely';

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
    db: migrationTableSchema === undefined ? db : withIntrospectionOf(db, migrationTableSchema),
    provider: { getMigrations: async () => ({ ...migrations }) },
    ...(migrationTableSchema === undefined ? {} : { migrationTableSchema }),
  });
  const { error, results } = await migrator.migrateToLatest();
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

/**
 * The migrator asks whether its tables exist by listing every table of the database, and Kysely's
 * PostgreSQL listing calls `has_schema_privilege` per schema, which fails ("schema … does not
 * exist") when another session drops a schema during the read: another app, a parallel test run.
 * Here it lists only the tables of its own schema, from the catalog alone, so nobody else's DDL
 * can fail it.
 */
// biome-ignore lint/suspicious/noExplicitAny: any schema
function withIntrospectionOf(db: Kysely<any>, schema: string): Kysely<any> {
  const introspection: DatabaseIntrospector = {
    getSchemas: async () => [{ name: schema }],
    getTables: async () => {
      const { rows } = await sql<{ name: string; kind: string }>`
        select c.relname as name, c.relkind as kind from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname = ${schema} and c.relkind in ('r', 'v', 'p')`.execute(db);
      return rows.map(
        (row): TableMetadata => ({ name: row.name, schema, isView: row.kind === 'v', columns: [] }),
      );
    },
    getMetadata: async () => ({ tables: await introspection.getTables() }),
  };
  return new Proxy(db, {
    get(target, property) {
      if (property === 'introspection') return introspection;
      const value = Reflect.get(target, property, target);
      // Kysely's methods read private fields, so they must run on the real instance.
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
