import type { AlertService } from '../alerts/alert-service.ts';
import type { AuditEntry } from '../audit/audit-log.ts';
import { ApiError, notFound } from '../http/api-error.ts';
import type { KeyService } from '../keys/key-service.ts';
import type { SecurityEvents } from '../monitor/security-events.ts';
import type { ClientService } from '../oauth/client-service.ts';
import type { UsageStore } from '../usage/usage-store.ts';
import {
  adminActionEntry,
  alertEntry,
  byTime,
  newIpEntry,
  type StatusClasses,
  securityEventEntry,
  type TimedEntry,
  type TimelineEntry,
  usageEntry,
} from './timeline-entry.ts';
import type { TimelineWindow } from './timeline-window.ts';

/** The most rows one timeline reads from each source (usage minutes, addresses, events, alerts, audit). */
export const TIMELINE_SOURCE_LIMIT = 1000;
const MINUTE_MS = 60_000;

/** The credential a timeline is about. */
export interface TimelineCredential {
  id: string;
  type: 'api_key' | 'oauth_client';
  name: string;
  integrator_id: string;
  environment: string;
  status: string;
}

export interface CredentialTimelineReport {
  credential: TimelineCredential;
  since: string;
  until: string;
  entries: TimelineEntry[];
  /** Every address used in the period, by first use, with its first and last use ever. */
  ips: { ip: string; first_seen: string; last_seen: string; requests: number }[];
  /** Requests in the period's usage entries, by status class. */
  totals: StatusClasses & { requests: number };
  /** True when a source had more rows than one report holds: entries stop before `next_since`. */
  truncated: boolean;
  /** Ask again with this `since` for the rest (null when nothing was cut). */
  next_since: string | null;
}

type Range = { since: number; until: number; limit: number };

/** What a timeline reads, each through the service that owns it. */
export interface TimelineSources {
  readonly keys: Pick<KeyService, 'get'>;
  readonly clients: Pick<ClientService, 'get'>;
  readonly usage: Pick<UsageStore, 'minutes' | 'ipsBetween'>;
  readonly securityEvents: Pick<SecurityEvents, 'forCredential'>;
  readonly alerts: Pick<AlertService, 'concerning'>;
  /** Audit entries whose target is `targetId` (`AuditLog.forTarget` over the database). */
  readonly auditEntries: (targetId: string, range: Range) => Promise<AuditEntry[]>;
}

/** What one credential did and what was done to it over a period (L6), in time order. */
export class CredentialTimeline {
  readonly #sources: TimelineSources;

  constructor(sources: TimelineSources) {
    this.#sources = sources;
  }

  /** 404 `not_found` when `id` is neither an API key nor an OAuth client. */
  async build(id: string, window: TimelineWindow): Promise<CredentialTimelineReport> {
    const credential = await this.#find(id);
    const { since, until } = window;
    // One more row than kept tells whether a source was cut.
    const range: Range = { since, until, limit: TIMELINE_SOURCE_LIMIT + 1 };
    const firstMinute = since - (since % MINUTE_MS);
    const subject = credential.type === 'api_key' ? 'credential' : 'client';
    const [minutes, addresses, events, alerts, actions] = await Promise.all([
      this.#sources.usage.minutes(id, firstMinute, until, range.limit),
      this.#sources.usage.ipsBetween(id, range),
      this.#sources.securityEvents.forCredential(id, range),
      // Usage detectors name an OAuth client `credential:<id>` too.
      this.#sources.alerts.concerning([`credential:${id}`, `${subject}:${id}`], range),
      this.#sources.auditEntries(id, range),
    ]);
    const sources: TimedEntry[][] = [
      minutes.map(usageEntry),
      addresses.map((address) => newIpEntry(address.ip, address.firstSeen)),
      events.map(securityEventEntry),
      alerts.map(alertEntry),
      actions.map(adminActionEntry),
    ];
    // A cut source is complete only before its first row left out; so is the merged timeline.
    let cutoff = Number.POSITIVE_INFINITY;
    for (const rows of sources) {
      const firstLeftOut = rows[TIMELINE_SOURCE_LIMIT];
      if (firstLeftOut !== undefined) cutoff = Math.min(cutoff, firstLeftOut.at);
      rows.length = Math.min(rows.length, TIMELINE_SOURCE_LIMIT);
    }
    const truncated = cutoff !== Number.POSITIVE_INFINITY;
    // Rows sharing the first left-out instant could repeat forever; the next page starts after it.
    if (truncated) cutoff = Math.max(cutoff, since + 1);
    const merged = sources
      .flat()
      .filter(({ at, entry }) => at < cutoff && (entry.type !== 'new_ip' || at >= since))
      .sort(byTime)
      .map(({ entry }) => entry);
    const totals = { requests: 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 };
    for (const entry of merged) {
      if (entry.type !== 'usage' || !entry.status) continue;
      totals.requests += entry.requests ?? 0;
      for (const status of ['2xx', '3xx', '4xx', '5xx'] as const) totals[status] += entry.status[status];
    }
    return {
      credential,
      since: new Date(since).toISOString(),
      until: new Date(until).toISOString(),
      entries: merged,
      ips: addresses.slice(0, TIMELINE_SOURCE_LIMIT).map((address) => ({
        ip: address.ip,
        first_seen: new Date(address.firstSeen).toISOString(),
        last_seen: new Date(address.lastSeen).toISOString(),
        requests: address.count,
      })),
      totals,
      truncated,
      next_since: truncated ? new Date(cutoff).toISOString() : null,
    };
  }

  async #find(id: string): Promise<TimelineCredential> {
    const key = await this.#sources.keys.get(id).catch(absentAsNull);
    if (key)
      return {
        id: key.id,
        type: 'api_key',
        name: key.name,
        integrator_id: key.integrator_id,
        environment: key.environment,
        status: key.status,
      };
    const client = await this.#sources.clients.get(id).catch(absentAsNull);
    if (client)
      return {
        id: client.id,
        type: 'oauth_client',
        name: client.name,
        integrator_id: client.integrator_id,
        environment: client.environment,
        status: client.status,
      };
    throw notFound('Credential');
  }
}

function absentAsNull(error: unknown): null {
  if (error instanceof ApiError && error.code === 'not_found') return null;
  throw error;
}
