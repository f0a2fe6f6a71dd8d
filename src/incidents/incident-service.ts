import type { Kysely } from 'kysely';
import type { AuditContext, AuditLog } from '../audit/audit-log.ts';
import { changeTransaction } from '../audit/change-transaction.ts';
import type { Schema } from '../db/schema.ts';
import { uuid7 } from '../db/uuid7.ts';
import { ApiError, notFound } from '../http/api-error.ts';
import type { Page } from '../http/pagination.ts';
import {
  type AttachmentKind,
  type EntryKind,
  type Incident,
  type IncidentWithEntries,
  type Severity,
  toIncident,
} from './incident.ts';
import { IncidentStore } from './incident-store.ts';

/**
 * Finds what an attachment names, through the service that owns it; the facts returned are kept on
 * the timeline (never a secret). Undefined when it does not exist.
 */
export type AttachmentLookup = (id: string) => Promise<Record<string, unknown> | undefined>;

export interface IncidentServiceDeps {
  readonly db: Kysely<Schema>;
  readonly audit: AuditLog;
  readonly lookups: Readonly<Record<AttachmentKind, AttachmentLookup>>;
}

export interface OpenIncidentInput {
  readonly title: string;
  readonly severity: Severity;
  readonly summary?: string | undefined;
}

const incidentClosed = () =>
  new ApiError('incident_closed', 'The incident is closed; open a new one to record more');

/**
 * Incident records (L7): open, attach alerts, security events and credentials, notes, close with a
 * resolution. Each change and its audit entry commit in one transaction; attaching what is attached
 * already changes nothing. Bulk actions are put on the timeline by `BulkActions` through
 * `recordAction` inside their own transactions.
 */
export class IncidentService {
  readonly store: IncidentStore;
  readonly #deps: IncidentServiceDeps;

  constructor(deps: IncidentServiceDeps) {
    this.#deps = deps;
    this.store = new IncidentStore(deps.db);
  }

  async open(input: OpenIncidentInput, context: AuditContext): Promise<IncidentWithEntries> {
    const now = Date.now();
    const id = uuid7(now);
    return changeTransaction(this.#deps.db, context, async (trx) => {
      await this.store.insert(
        {
          id,
          title: input.title,
          severity: input.severity,
          status: 'open',
          summary: input.summary ?? '',
          resolution: null,
          opened_by_json: JSON.stringify(context.actor),
          closed_at: null,
          version: 1,
          created_at: now,
          updated_at: now,
        },
        trx,
      );
      await this.#entry(trx, id, 'opened', id, null, { severity: input.severity }, context, now);
      const incident = await this.#read(trx, id);
      await this.#audit(trx, 'incident.open', incident, context);
      return incident;
    });
  }

  async get(id: string): Promise<IncidentWithEntries> {
    return this.#read(this.#deps.db, id);
  }

  list(status: 'open' | 'closed' | undefined, limit: number, cursor?: string): Promise<Page<Incident>> {
    return this.store.list(status, limit, cursor);
  }

  async note(id: string, text: string, context: AuditContext): Promise<IncidentWithEntries> {
    const now = Date.now();
    return this.#change(id, context, async (trx) => {
      const noteId = uuid7(now);
      await this.#entry(trx, id, 'note', noteId, text, {}, context, now);
      return { action: 'incident.note', after: { note_id: noteId, text } };
    });
  }

  /** Attaches an alert, security event or credential (404 when it does not exist; twice: once). */
  async attach(
    id: string,
    kind: AttachmentKind,
    refId: string,
    context: AuditContext,
  ): Promise<IncidentWithEntries> {
    const facts = await this.#deps.lookups[kind](refId);
    if (facts === undefined) throw notFound(kind === 'security_event' ? 'Security event' : capitalize(kind));
    const now = Date.now();
    return this.#change(id, context, async (trx) => {
      const added = await this.#entry(trx, id, kind, refId, null, facts, context, now);
      return added ? { action: 'incident.attach', after: { kind, id: refId, ...facts } } : 'unchanged';
    });
  }

  /** Closes with a resolution; closing a closed incident is a 409 `incident_closed`. */
  async close(id: string, resolution: string, context: AuditContext): Promise<IncidentWithEntries> {
    const now = Date.now();
    return this.#change(id, context, async (trx) => {
      if (!(await this.store.close(id, resolution, now, trx))) throw incidentClosed();
      await this.#entry(trx, id, 'closed', id, resolution, {}, context, now);
      return { action: 'incident.close', after: { resolution }, touched: true };
    });
  }

  /** Refuses (409) an action under an incident that is closed, and 404 one that does not exist. */
  async assertOpen(id: string, db: Kysely<Schema> = this.#deps.db): Promise<void> {
    const row = await this.store.find(id, db);
    if (!row) throw notFound('Incident');
    if (row.status !== 'open') throw incidentClosed();
  }

  /** Puts a bulk action on the incident's timeline (inside the action's transaction), or updates it. */
  async recordAction(
    trx: Kysely<Schema>,
    incidentId: string,
    actionId: string,
    details: Record<string, unknown>,
    context: AuditContext,
  ): Promise<void> {
    const now = Date.now();
    const added = await this.#entry(trx, incidentId, 'action', actionId, null, details, context, now);
    if (!added) await this.store.updateEntryDetails(incidentId, 'action', actionId, details, trx);
    await this.store.touch(incidentId, now, trx);
  }

  async #change(
    id: string,
    context: AuditContext,
    work: (
      trx: Kysely<Schema>,
    ) => Promise<{ action: string; after: Record<string, unknown>; touched?: boolean } | 'unchanged'>,
  ): Promise<IncidentWithEntries> {
    return changeTransaction(this.#deps.db, context, async (trx) => {
      await this.assertOpen(id, trx);
      const done = await work(trx);
      if (done !== 'unchanged') {
        if (!done.touched) await this.store.touch(id, Date.now(), trx);
        await this.#deps.audit.append(trx, {
          ...context,
          action: done.action,
          target: { type: 'incident', id },
          after: done.after,
        });
      }
      return this.#read(trx, id);
    });
  }

  async #entry(
    trx: Kysely<Schema>,
    incidentId: string,
    kind: EntryKind,
    refId: string,
    text: string | null,
    details: Record<string, unknown>,
    context: AuditContext,
    now: number,
  ): Promise<boolean> {
    return this.store.addEntry(
      {
        id: uuid7(now),
        incident_id: incidentId,
        kind,
        ref_id: refId,
        text,
        details_json: JSON.stringify(details),
        actor_json: JSON.stringify(context.actor),
        created_at: now,
      },
      trx,
    );
  }

  async #read(db: Kysely<Schema>, id: string): Promise<IncidentWithEntries> {
    const row = await this.store.find(id, db);
    if (!row) throw notFound('Incident');
    return { ...toIncident(row), entries: await this.store.entries(id, db) };
  }

  async #audit(trx: Kysely<Schema>, action: string, incident: Incident, context: AuditContext) {
    await this.#deps.audit.append(trx, {
      ...context,
      action,
      target: { type: 'incident', id: incident.id },
      after: incident,
    });
  }
}

function capitalize(kind: string): string {
  const words = kind.replace('_', ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
