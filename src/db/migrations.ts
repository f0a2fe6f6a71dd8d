import { type Kysely, type Migration, Migrator, sql } from 'kysely';
import { adminMigration } from '../admin/admin-schema.ts';
import { auditMigration } from '../audit/audit-schema.ts';
import { integratorsMigration } from '../integrators/integrator-schema.ts';
import { keysMigration } from '../keys/key-schema.ts';
import { monitorMigration } from '../monitor/security-event-schema.ts';
import { oauthMigration } from '../oauth/oauth-schema.ts';
import { usageMigration } from '../usage/usage-schema.ts';
import { webhooksMigration } from '../webhooks/webhook-schema.ts';

/**
 * Every schema change, in the order it was made. Each concept owns its migration; names are
 * numbered so the order never depends on file layout. Never edit a released migration: add one,
 * numbered after the last (the migrator refuses a database that has run a later one).
 */
const MIGRATIONS: Record<string, Migration> = {
  '0001_audit': auditMigration,
  '0002_admin': adminMigration,
  '0003_integrators': integratorsMigration,
  '0004_keys': keysMigration,
  '0005_monitor': monitorMigration,
  '0006_webhooks': webhooksMigration,
  '0007_oauth': oauthMigration,
  '0009_usage': usageMigration,
};

/**
 * On PostgreSQL the migrator's own tables are pinned to the connection's current schema: left
 * unqualified, the migrator would take another schema's `kysely_migration_lock` (another Gatehouse,
 * another app in the same database) for its own and fail, or skip creating it.
 */
// biome-ignore lint/suspicious/noExplicitAny: the migrator works on any schema
export async function migrateToLatest(db: Kysely<any>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  const migrationTableSchema = dialect === 'postgres' ? await currentSchema(db) : undefined;
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
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
