import { type Kysely, type Migration, sql } from 'kysely';

/** An incident record (L7): opened with a title and severity, closed with a resolution. */
export interface IncidentTable {
  id: string;
  title: string;
  severity: string;
  status: string;
  summary: string;
  resolution: string | null;
  /** The actor who opened it, as JSON (`{ type, id, name }`). */
  opened_by_json: string;
  closed_at: number | null;
  version: number;
  created_at: number;
  updated_at: number;
}

/**
 * One line of an incident's timeline: a note, an attached alert, security event or credential, a
 * bulk action taken under it, its closing. `ref_id` is what it names (the note's own id for notes),
 * unique per incident and kind, so attaching the same thing twice records it once.
 */
export interface IncidentEntryTable {
  id: string;
  incident_id: string;
  kind: string;
  ref_id: string;
  text: string | null;
  details_json: string;
  actor_json: string;
  created_at: number;
}

/**
 * A bulk rotation or revocation: its selection and its plan, written before any credential is
 * touched, so a run cut short (a crash) can be resumed from its items.
 */
export interface BulkActionTable {
  id: string;
  incident_id: string | null;
  action: string;
  selection_json: string;
  overlap_seconds: number | null;
  reason: string | null;
  status: string;
  actor_json: string;
  /** The admin token and Idempotency-Key that started it: the same key again resumes it. */
  actor_id: string | null;
  idempotency_key: string | null;
  request_hash: string | null;
  created_at: number;
  finished_at: number | null;
}

/**
 * One credential of a bulk action. Its change and the move from `pending` to `done` commit in one
 * transaction; the new secret is kept sealed until the run that reports it finishes.
 */
export interface BulkActionItemTable {
  action_id: string;
  credential_kind: string;
  credential_id: string;
  integrator_id: string;
  environment: string;
  name: string;
  state: string;
  outcome: string | null;
  error_code: string | null;
  secret_sealed: string | null;
  old_secrets_end: number | null;
  notified: number;
  finished_at: number | null;
}

export interface IncidentTables {
  incidents: IncidentTable;
  incident_entries: IncidentEntryTable;
  bulk_actions: BulkActionTable;
  bulk_action_items: BulkActionItemTable;
}

export const incidentsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('incidents')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('summary', 'text', (c) => c.notNull())
      .addColumn('resolution', 'text')
      .addColumn('opened_by_json', 'text', (c) => c.notNull())
      .addColumn('closed_at', 'bigint')
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('incident_entries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('ref_id', 'text', (c) => c.notNull())
      .addColumn('text', 'text')
      .addColumn('details_json', 'text', (c) => c.notNull())
      .addColumn('actor_json', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addUniqueConstraint('incident_entries_ref', ['incident_id', 'kind', 'ref_id'])
      .execute();
    await db.schema
      .createTable('bulk_actions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('incident_id', 'text', (c) => c.references('incidents.id'))
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('selection_json', 'text', (c) => c.notNull())
      .addColumn('overlap_seconds', 'integer')
      .addColumn('reason', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('actor_json', 'text', (c) => c.notNull())
      .addColumn('actor_id', 'text')
      .addColumn('idempotency_key', 'text')
      .addColumn('request_hash', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('finished_at', 'bigint')
      .addUniqueConstraint('bulk_actions_idempotency', ['actor_id', 'idempotency_key'])
      .execute();
    await db.schema
      .createTable('bulk_action_items')
      .addColumn('action_id', 'text', (c) => c.notNull().references('bulk_actions.id'))
      .addColumn('credential_kind', 'text', (c) => c.notNull())
      .addColumn('credential_id', 'text', (c) => c.notNull())
      .addColumn('integrator_id', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text')
      .addColumn('error_code', 'text')
      .addColumn('secret_sealed', 'text')
      .addColumn('old_secrets_end', 'bigint')
      .addColumn('notified', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('finished_at', 'bigint')
      .addPrimaryKeyConstraint('bulk_action_items_pk', ['action_id', 'credential_id'])
      .execute();
    // A credential waits in at most one plan: two bulk actions at once cannot change it twice.
    await db.schema
      .createIndex('bulk_action_items_one_pending')
      .on('bulk_action_items')
      .column('credential_id')
      .unique()
      .where(sql.ref('state'), '=', 'pending')
      .execute();
  },
};
