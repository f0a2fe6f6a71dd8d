import type { Alert } from '../alerts/alert-types.ts';
import type { Actor, AuditEntry } from '../audit/audit-log.ts';
import type { SecurityEvent } from '../monitor/security-events.ts';
import type { UsageMinute } from '../usage/usage-store.ts';

/** Requests by status class: what a minute of usage, or a whole timeline, adds up to. */
export interface StatusClasses {
  '2xx': number;
  '3xx': number;
  '4xx': number;
  '5xx': number;
}

/** One line of a credential's timeline; `type` says which of the optional fields it has. */
export interface TimelineEntry {
  time: string;
  type: 'usage' | 'new_ip' | 'security_event' | 'alert' | 'admin_action';
  /** usage: requests in the minute starting at `time`, and their status classes. */
  requests?: number;
  status?: StatusClasses;
  /** new_ip: the address first used at `time`; security_event: where it came from. */
  ip?: string | null;
  /** security_event, alert: their ids. */
  id?: string;
  event?: string;
  source?: string;
  details?: Record<string, unknown>;
  /** alert: `time` is its first occurrence. */
  rule?: string;
  alert_status?: string;
  count?: number;
  last_seen?: string;
  /** admin_action: what the audit log recorded, and under which sequence number. */
  action?: string;
  actor?: Actor;
  request_id?: string | null;
  audit_seq?: number;
}

/** A timeline entry with its time as a number, for sorting and cutting. */
export interface TimedEntry {
  readonly at: number;
  readonly entry: TimelineEntry;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function usageEntry(minute: UsageMinute): TimedEntry {
  const status = {
    '2xx': minute.status2xx,
    '3xx': minute.status3xx,
    '4xx': minute.status4xx,
    '5xx': minute.status5xx,
  };
  const requests = status['2xx'] + status['3xx'] + status['4xx'] + status['5xx'];
  return { at: minute.minute, entry: { time: iso(minute.minute), type: 'usage', requests, status } };
}

export function newIpEntry(ip: string, firstSeen: number): TimedEntry {
  return { at: firstSeen, entry: { time: iso(firstSeen), type: 'new_ip', ip } };
}

export function securityEventEntry(event: SecurityEvent): TimedEntry {
  return {
    at: Date.parse(event.timestamp),
    entry: {
      time: event.timestamp,
      type: 'security_event',
      id: event.id,
      event: event.event,
      source: event.source,
      ip: event.ip,
      details: event.details,
    },
  };
}

export function alertEntry(alert: Alert): TimedEntry {
  return {
    at: Date.parse(alert.first_seen),
    entry: {
      time: alert.first_seen,
      type: 'alert',
      id: alert.id,
      rule: alert.rule,
      alert_status: alert.status,
      count: alert.count,
      last_seen: alert.last_seen,
    },
  };
}

export function adminActionEntry(audit: AuditEntry): TimedEntry {
  return {
    at: Date.parse(audit.time),
    entry: {
      time: audit.time,
      type: 'admin_action',
      action: audit.action,
      actor: audit.actor,
      ip: audit.ip,
      request_id: audit.request_id,
      audit_seq: audit.seq,
    },
  };
}

// Within one millisecond, the change comes before what followed from it.
const TYPE_ORDER: Readonly<Record<TimelineEntry['type'], number>> = {
  admin_action: 0,
  usage: 1,
  new_ip: 2,
  security_event: 3,
  alert: 4,
};

/** Oldest first; entries of the same instant in a fixed order of their types. */
export function byTime(a: TimedEntry, b: TimedEntry): number {
  return a.at - b.at || TYPE_ORDER[a.entry.type] - TYPE_ORDER[b.entry.type];
}
