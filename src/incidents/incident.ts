import type { Actor } from '../audit/audit-context.ts';
import { iso, isoOrNull } from '../credentials/dates.ts';
import type { IncidentEntryTable, IncidentTable } from './incident-schema.ts';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** What an incident's timeline can hold, besides its opening. */
export const ATTACHMENT_KINDS = ['alert', 'security_event', 'credential'] as const;
export type AttachmentKind = (typeof ATTACHMENT_KINDS)[number];
export type EntryKind = 'opened' | 'note' | AttachmentKind | 'action' | 'closed';

/** An incident as the admin API shows it; `entries` (its timeline, oldest first) only when read alone. */
export interface Incident {
  id: string;
  title: string;
  severity: Severity;
  status: 'open' | 'closed';
  summary: string;
  resolution: string | null;
  opened_by: Actor;
  version: number;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
}

export interface IncidentEntry {
  id: string;
  kind: EntryKind;
  /** What the entry names: the alert, event, credential or bulk action (a note's own id). */
  ref_id: string;
  text: string | null;
  details: Record<string, unknown>;
  actor: Actor;
  created_at: string;
}

export interface IncidentWithEntries extends Incident {
  entries: IncidentEntry[];
}

export function toIncident(row: IncidentTable): Incident {
  return {
    id: row.id,
    title: row.title,
    severity: row.severity as Severity,
    status: row.status as Incident['status'],
    summary: row.summary,
    resolution: row.resolution,
    opened_by: JSON.parse(row.opened_by_json) as Actor,
    version: row.version,
    created_at: iso(Number(row.created_at)),
    updated_at: iso(Number(row.updated_at)),
    closed_at: isoOrNull(row.closed_at === null ? null : Number(row.closed_at)),
  };
}

export function toIncidentEntry(row: IncidentEntryTable): IncidentEntry {
  return {
    id: row.id,
    kind: row.kind as EntryKind,
    ref_id: row.ref_id,
    text: row.text,
    details: JSON.parse(row.details_json) as Record<string, unknown>,
    actor: JSON.parse(row.actor_json) as Actor,
    created_at: iso(Number(row.created_at)),
  };
}
