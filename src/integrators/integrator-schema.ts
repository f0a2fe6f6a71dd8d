import type { Kysely, Migration } from 'kysely';

export interface IntegratorTable {
  id: string;
  name: string;
  email: string | null;
  metadata_json: string;
  status: string;
  version: number;
  created_at: number;
  updated_at: number;
}

export interface IntegratorTables {
  integrators: IntegratorTable;
}

export const integratorsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('integrators')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('email', 'text')
      .addColumn('metadata_json', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};

/** The columns cached credentials depend on: a disabled integrator's credentials are refused. */
export const INTEGRATOR_CACHED_COLUMNS = Object.freeze({ integrators: ['status', 'version'] });
