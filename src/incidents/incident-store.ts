import type { Insertable, Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';
import { decodeCursor, type Page, pageOf } from '../http/pagination.ts';
import { type Incident, type IncidentEntry, toIncident, toIncidentEntry } from './incident.ts';
import type { IncidentEntryTable, IncidentTable } from './incident-schema.ts';

/** The SQL of incidents and their timelines. Every method takes the executor to use. */
export class IncidentStore {
  readonly db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.db = db;
  }

  async insert(row: Insertable<IncidentTable>, db = this.db): Promise<void> {
    await db.insertInto('incidents').values(row).execute();
  }

  async find(id: string, db = this.db): Promise<IncidentTable | undefined> {
    return db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Newest first, optionally only open or closed ones. */
  async list(status: 'open' | 'closed' | undefined, limit: number, cursor?: string): Promise<Page<Incident>> {
    let query = this.db
      .selectFrom('incidents')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(limit + 1);
    if (cursor !== undefined) query = query.where('id', '<', decodeCursor<string>(cursor, 'string'));
    if (status !== undefined) query = query.where('status', '=', status);
    return pageOf(await query.execute(), limit, toIncident, (row) => row.id);
  }

  /** Closes an open incident; false when it was closed already (by this or a concurrent request). */
  async close(id: string, resolution: string, now: number, db = this.db): Promise<boolean> {
    const result = await db
      .updateTable('incidents')
      .set((eb) => ({
        status: 'closed',
        resolution,
        closed_at: now,
        updated_at: now,
        version: eb('version', '+', 1),
      }))
      .where('id', '=', id)
      .where('status', '=', 'open')
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Bumps the version of an incident whose timeline grew (an ETag then says it changed). */
  async touch(id: string, now: number, db = this.db): Promise<void> {
    await db
      .updateTable('incidents')
      .set((eb) => ({ updated_at: now, version: eb('version', '+', 1) }))
      .where('id', '=', id)
      .execute();
  }

  /** Adds a timeline entry; false when one of the same kind naming the same thing exists already. */
  async addEntry(row: IncidentEntryTable, db = this.db): Promise<boolean> {
    const result = await db
      .insertInto('incident_entries')
      .values(row)
      .onConflict((conflict) => conflict.columns(['incident_id', 'kind', 'ref_id']).doNothing())
      .executeTakeFirst();
    return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
  }

  async updateEntryDetails(
    incidentId: string,
    kind: string,
    refId: string,
    details: Record<string, unknown>,
    db = this.db,
  ): Promise<void> {
    await db
      .updateTable('incident_entries')
      .set({ details_json: JSON.stringify(details) })
      .where('incident_id', '=', incidentId)
      .where('kind', '=', kind)
      .where('ref_id', '=', refId)
      .execute();
  }

  /** The timeline, oldest first. */
  async entries(incidentId: string, db = this.db): Promise<IncidentEntry[]> {
    const rows = await db
      .selectFrom('incident_entries')
      .selectAll()
      .where('incident_id', '=', incidentId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toIncidentEntry);
  }
}
