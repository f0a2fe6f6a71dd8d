import type { Kysely } from 'kysely';
import type { AuditContext, AuditLog } from '../audit/audit-log.ts';
import { changeTransaction } from '../audit/change-transaction.ts';
import type { Schema } from '../db/schema.ts';
import { uuid7 } from '../db/uuid7.ts';
import { notFound } from '../http/api-error.ts';
import { decodeCursor, type Page, pageOf } from '../http/pagination.ts';
import type { Logger } from '../log/logger.ts';
import { redactSecrets } from '../log/redact-secrets.ts';
import type { AlertTable } from './alert-schema.ts';
import { ALERT_RULES, type Alert, type AlertInput, type AlertRaiser } from './alert-types.ts';

/** Most event ids one alert keeps; its `count` goes on counting. */
const MAX_EVENT_IDS = 100;

export interface AlertServiceDeps {
  readonly db: Kysely<Schema>;
  readonly audit: AuditLog;
  readonly logger: Logger;
  readonly dedupWindowMs: number;
  /** Told when a first occurrence queued sink deliveries (wakes this thread's outbox worker). */
  readonly onQueued?: () => void;
}

/**
 * Stores alerts de-duplicated per (rule, subject) and queues one sink delivery per enabled sink on
 * a first occurrence; repeats within the window only count (throttling).
 */
export class AlertService implements AlertRaiser {
  readonly #deps: AlertServiceDeps;
  /** Raises of one (rule, subject) run one after another, so concurrent repeats never make two. */
  readonly #chains = new Map<string, Promise<void>>();
  readonly #listeners: ((rule: string, first: boolean) => void)[] = [];

  constructor(deps: AlertServiceDeps) {
    this.#deps = deps;
  }

  /** Told after each raise is stored: `first` for a new alert, false for a counted repeat (metrics). */
  onRaised(listener: (rule: string, first: boolean) => void): void {
    this.#listeners.push(listener);
  }

  /** Raises (or counts) an alert. Never throws: a broken alert path must not break a request. */
  raise(input: AlertInput, now = Date.now()): Promise<void> {
    const key = `${input.rule}\u0000${input.subject}`;
    const previous = this.#chains.get(key) ?? Promise.resolve();
    const next = previous
      .then(() => this.#raiseNow(input, now))
      .catch((error: unknown) => {
        this.#deps.logger.error({ err: error, rule: input.rule }, 'could not raise an alert');
      });
    this.#chains.set(key, next);
    void next.then(() => {
      if (this.#chains.get(key) === next) this.#chains.delete(key);
    });
    return next;
  }

  async #raiseNow(input: AlertInput, now: number): Promise<void> {
    const { db, dedupWindowMs } = this.#deps;
    const eventIds = [...(input.eventIds ?? [])];
    let first = true;
    const queued = await db.transaction().execute(async (trx) => {
      const current = await trx
        .selectFrom('alerts')
        .selectAll()
        .where('rule', '=', input.rule)
        .where('subject', '=', input.subject)
        .where('first_seen', '>', now - dedupWindowMs)
        .orderBy('first_seen', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (current) {
        first = false;
        const ids = [...new Set([...(JSON.parse(current.event_ids_json) as string[]), ...eventIds])];
        await trx
          .updateTable('alerts')
          .set({
            count: current.count + 1,
            last_seen: Math.max(now, current.last_seen),
            event_ids_json: JSON.stringify(ids.slice(0, MAX_EVENT_IDS)),
          })
          .where('id', '=', current.id)
          .execute();
        return false;
      }
      const row: AlertTable = {
        id: uuid7(now),
        rule: input.rule,
        subject: input.subject,
        status: 'open',
        count: 1,
        first_seen: now,
        last_seen: now,
        event_ids_json: JSON.stringify(eventIds.slice(0, MAX_EVENT_IDS)),
        details_json: redactSecrets(JSON.stringify(input.details ?? {})),
        acknowledged_at: null,
        acknowledged_by: null,
      };
      await trx.insertInto('alerts').values(row).execute();
      const sinks = await trx.selectFrom('alert_sinks').select('id').where('enabled', '=', 1).execute();
      const payload = JSON.stringify(toAlert(row));
      for (const sink of sinks) {
        await trx
          .insertInto('alert_deliveries')
          .values({
            id: uuid7(now),
            alert_id: row.id,
            sink_id: sink.id,
            payload_json: payload,
            attempts: 0,
            next_attempt_at: Date.now(),
            status: 'pending',
            created_at: now,
          })
          .execute();
      }
      this.#deps.logger.warn({ alert_id: row.id, rule: row.rule, subject: row.subject }, 'alert raised');
      return sinks.length > 0;
    });
    if (queued) this.#deps.onQueued?.();
    for (const listener of this.#listeners) listener(input.rule, first);
  }

  /** Alerts, newest first. */
  async list(query: {
    limit: number;
    cursor?: string | undefined;
    rule?: string | undefined;
    status?: string | undefined;
  }): Promise<Page<Alert>> {
    let select = this.#deps.db
      .selectFrom('alerts')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(query.limit + 1);
    if (query.cursor !== undefined)
      select = select.where('id', '<', decodeCursor<string>(query.cursor, 'string'));
    if (query.rule !== undefined) select = select.where('rule', '=', query.rule);
    if (query.status !== undefined) select = select.where('status', '=', query.status);
    return pageOf(await select.execute(), query.limit, toAlert, (row) => row.id);
  }

  /**
   * Alerts about any of `subjects` (such as `credential:<id>`) seen in [since, until): first seen
   * before `until` and last seen at or after `since`; oldest first, at most `limit`.
   */
  async concerning(
    subjects: readonly string[],
    range: { since: number; until: number; limit: number },
  ): Promise<Alert[]> {
    if (subjects.length === 0) return [];
    const rows = await this.#deps.db
      .selectFrom('alerts')
      .selectAll()
      // Naming every rule lets the (rule, subject, last_seen) index answer this.
      .where('rule', 'in', [...ALERT_RULES])
      .where('subject', 'in', [...subjects])
      .where('first_seen', '<', range.until)
      .where('last_seen', '>=', range.since)
      .orderBy('first_seen')
      .orderBy('id')
      .limit(range.limit)
      .execute();
    return rows.map(toAlert);
  }

  /** Occurrences per rule, repeats included, as `gatehouse_alerts_total` shows them. */
  async countsByRule(): Promise<{ rule: string; count: number }[]> {
    const rows = await this.#deps.db
      .selectFrom('alerts')
      .select(({ fn }) => ['rule', fn.sum<number | string>('count').as('count')])
      .groupBy('rule')
      .execute();
    return rows.map((row) => ({ rule: row.rule, count: Number(row.count) }));
  }

  async get(id: string): Promise<Alert> {
    const row = await this.#deps.db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('Alert');
    return toAlert(row);
  }

  /** Marks an alert acknowledged (audited); acknowledging twice keeps the first acknowledgement. */
  async acknowledge(id: string, context: AuditContext): Promise<Alert> {
    return changeTransaction(this.#deps.db, context, async (trx) => {
      const row = await trx.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw notFound('Alert');
      if (row.status === 'acknowledged') return toAlert(row);
      const now = Date.now();
      const updated: AlertTable = {
        ...row,
        status: 'acknowledged',
        acknowledged_at: now,
        acknowledged_by: context.actor.id ?? context.actor.name,
      };
      await trx
        .updateTable('alerts')
        .set({
          status: 'acknowledged',
          acknowledged_at: now,
          acknowledged_by: context.actor.id ?? context.actor.name,
        })
        .where('id', '=', id)
        .execute();
      const alert = toAlert(updated);
      await this.#deps.audit.append(trx, {
        ...context,
        action: 'alert.acknowledge',
        target: { type: 'alert', id },
        before: toAlert(row),
        after: alert,
      });
      return alert;
    });
  }
}

/** The API shape of a stored alert. */
export function toAlert(row: AlertTable): Alert {
  return {
    id: row.id,
    rule: row.rule,
    subject: row.subject,
    status: row.status === 'acknowledged' ? 'acknowledged' : 'open',
    count: row.count,
    first_seen: new Date(row.first_seen).toISOString(),
    last_seen: new Date(row.last_seen).toISOString(),
    event_ids: JSON.parse(row.event_ids_json) as string[],
    details: JSON.parse(row.details_json) as Record<string, unknown>,
    acknowledged_at: row.acknowledged_at === null ? null : new Date(row.acknowledged_at).toISOString(),
    acknowledged_by: row.acknowledged_by,
  };
}
