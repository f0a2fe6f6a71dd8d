import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Schema } from '../db/schema.ts';
import { uuid7 } from '../db/uuid7.ts';
import { decodeCursor, type Page, pageOf } from '../http/pagination.ts';
import { redactSecrets } from '../log/redact-secrets.ts';
import { RepeatedEvents } from './repeated-events.ts';
import type { SecurityEventTable } from './security-event-schema.ts';

/** Security event types (L4). New detectors add their names here. */
export type SecurityEventType =
  | 'credential_over_plain_http'
  | 'authentication_failed'
  | 'webhook_endpoint_disabled'
  | 'oauth_client_authentication_failed'
  | 'admin_authentication_failed'
  | (string & {});

export interface SecurityEventInput {
  readonly event: SecurityEventType;
  /** The part of Gatehouse that saw it: gateway, oauth, webhooks, admin. */
  readonly source: string;
  readonly credentialId?: string | null;
  readonly integratorId?: string | null;
  readonly ip?: string | null;
  /** Context for people; never a secret (strings shaped like credentials are redacted anyway). */
  readonly details?: Record<string, unknown>;
}

export interface RecordOptions {
  /**
   * Fold identical events of the next minute into this one's row (`details.count`,
   * `details.last_seen`): for events an attacker can cause at will, such as failed authentication.
   */
  readonly aggregate?: boolean;
}

export interface SecurityEvent {
  id: string;
  timestamp: string;
  event: string;
  source: string;
  credential_id: string | null;
  integrator_id: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}

/** Told of every recorded event (its stored row's id), synchronously: keep it O(1). */
export type SecurityEventObserver = (event: SecurityEventTable) => void;

/** Structured, stored security events (L4): the raw material for alerts and incident timelines. */
export class SecurityEvents {
  readonly #db: Kysely<Schema>;
  readonly #logger: Logger;
  readonly #repeats: RepeatedEvents;
  readonly #observers: SecurityEventObserver[] = [];

  constructor(db: Kysely<Schema>, logger: Logger) {
    this.#db = db;
    this.#logger = logger.child({ component: 'security' });
    this.#repeats = new RepeatedEvents({
      insert: (row) => this.#insert(row),
      updateDetails: (id, detailsJson) => this.#updateDetails(id, detailsJson),
    });
  }

  /** Feeds every later event to `observer` (the alert detectors). */
  observe(observer: SecurityEventObserver): void {
    this.#observers.push(observer);
  }

  #notify(row: SecurityEventTable): void {
    for (const observer of this.#observers) {
      try {
        observer(row);
      } catch (error) {
        this.#logger.error({ err: error }, 'a security event observer failed');
      }
    }
  }

  /**
   * Stores and logs an event (an aggregated repeat is counted, not logged again). Never throws:
   * losing the request because monitoring failed is worse.
   */
  async record(input: SecurityEventInput, now = Date.now(), options: RecordOptions = {}): Promise<void> {
    const row: SecurityEventTable = {
      id: uuid7(now),
      created_at: now,
      event: input.event,
      source: input.source,
      credential_id: input.credentialId ?? null,
      integrator_id: input.integratorId ?? null,
      ip: input.ip ?? null,
      details_json: redactSecrets(JSON.stringify(input.details ?? {})),
    };
    if (options.aggregate) {
      const repeat = this.#repeats.record(row, now);
      if (repeat.first) this.#log(row);
      this.#notify(repeat.id === row.id ? row : { ...row, id: repeat.id });
      return repeat.stored;
    }
    this.#log(row);
    this.#notify(row);
    await this.#insert(row);
  }

  /** Stores the counts of aggregated events not yet written (before the database closes). */
  flush(): Promise<void> {
    return this.#repeats.flush();
  }

  #log(row: SecurityEventTable): void {
    this.#logger.warn(
      {
        security_event: row.event,
        source: row.source,
        credential_id: row.credential_id,
        integrator_id: row.integrator_id,
        ip: row.ip,
      },
      'security event',
    );
  }

  async #insert(row: SecurityEventTable): Promise<void> {
    try {
      await this.#db.insertInto('security_events').values(row).execute();
    } catch (error) {
      this.#logger.error({ err: error, security_event: row.event }, 'could not store a security event');
    }
  }

  async #updateDetails(id: string, detailsJson: string): Promise<void> {
    try {
      await this.#db
        .updateTable('security_events')
        .set({ details_json: detailsJson })
        .where('id', '=', id)
        .execute();
    } catch (error) {
      this.#logger.error({ err: error }, 'could not update the count of a security event');
    }
  }

  /** One event by id; undefined when there is none (or it was purged). */
  async find(id: string): Promise<SecurityEvent | undefined> {
    const row = await this.#db
      .selectFrom('security_events')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toSecurityEvent(row);
  }

  async list(query: {
    limit: number;
    cursor?: string | undefined;
    event?: string | undefined;
    credentialId?: string | undefined;
  }): Promise<Page<SecurityEvent>> {
    let select = this.#db
      .selectFrom('security_events')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(query.limit + 1);
    if (query.cursor !== undefined)
      select = select.where('id', '<', decodeCursor<string>(query.cursor, 'string'));
    if (query.event !== undefined) select = select.where('event', '=', query.event);
    if (query.credentialId !== undefined) select = select.where('credential_id', '=', query.credentialId);
    return pageOf(await select.execute(), query.limit, toSecurityEvent, (row) => row.id);
  }

  /** One credential's events recorded in [since, until), oldest first, at most `limit` (a timeline's read). */
  async forCredential(
    credentialId: string,
    range: { since: number; until: number; limit: number },
  ): Promise<SecurityEvent[]> {
    const rows = await this.#db
      .selectFrom('security_events')
      .selectAll()
      .where('credential_id', '=', credentialId)
      .where('created_at', '>=', range.since)
      .where('created_at', '<', range.until)
      .orderBy('created_at')
      .orderBy('id')
      .limit(range.limit)
      .execute();
    return rows.map(toSecurityEvent);
  }
}

function toSecurityEvent(row: SecurityEventTable): SecurityEvent {
  return {
    id: row.id,
    timestamp: new Date(row.created_at).toISOString(),
    event: row.event,
    source: row.source,
    credential_id: row.credential_id,
    integrator_id: row.integrator_id,
    ip: row.ip,
    details: JSON.parse(row.details_json) as Record<string, unknown>,
  };
}
