import type { Migration } from 'kysely';
import { adminMigration } from '../admin/admin-schema.ts';
import { alertsMigration } from '../alerts/alert-schema.ts';
import { auditCheckpointsMigration, auditMigration } from '../audit/audit-schema.ts';
import { consoleMigration } from '../console/console-schema.ts';
import { changeGenerationMigration } from '../events/change-generation.ts';
import { incidentsMigration } from '../incidents/incident-schema.ts';
import { INTEGRATOR_CACHED_COLUMNS, integratorsMigration } from '../integrators/integrator-schema.ts';
import { KEY_CACHED_COLUMNS, keysMigration } from '../keys/key-schema.ts';
import { leaksMigration } from '../leaks/leak-schema.ts';
import { monitorMigration } from '../monitor/security-event-schema.ts';
import { CLIENT_CACHED_COLUMNS, oauthMigration } from '../oauth/oauth-schema.ts';
import { retentionMigration } from '../retention/retention-schema.ts';
import { usageMigration } from '../usage/usage-schema.ts';
import { webhooksMigration } from '../webhooks/webhook-schema.ts';
// Whoever opens the database through this list sees every concept's tables in `Schema`.
import type {} from './schema.ts';

/**
 * Every schema change, in the order it was made. Each concept owns its migration; names are
 * numbered so the order never depends on file layout. Never edit a released migration: add one,
 * numbered after the last (the migrator refuses a database that has run a later one).
 */
export const MIGRATIONS: Readonly<Record<string, Migration>> = Object.freeze({
  '0001_audit': auditMigration,
  '0002_admin': adminMigration,
  '0003_integrators': integratorsMigration,
  '0004_keys': keysMigration,
  '0005_monitor': monitorMigration,
  '0006_webhooks': webhooksMigration,
  '0007_oauth': oauthMigration,
  '0008_alerts': alertsMigration,
  '0009_usage': usageMigration,
  '0010_leaks': leaksMigration,
  '0011_audit_checkpoints': auditCheckpointsMigration,
  '0012_change_generations': changeGenerationMigration({
    ...KEY_CACHED_COLUMNS,
    ...CLIENT_CACHED_COLUMNS,
    ...INTEGRATOR_CACHED_COLUMNS,
  }),
  '0013_retention_indexes': retentionMigration,
  '0014_incidents': incidentsMigration,
  '0015_console': consoleMigration,
});
