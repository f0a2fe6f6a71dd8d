import { type Kysely, sql } from 'kysely';
import type { Schema } from '../db/schema.ts';
import type { UsageBatch } from './usage-counter.ts';

/** A minute's counts as stored. */
export interface UsageMinute {
  readonly minute: number;
  readonly status2xx: number;
  readonly status3xx: number;
  readonly status4xx: number;
  readonly status5xx: number;
}

/** What applying a batch found before it added its counts: the detectors' input. */
export interface AppliedBatch {
  /** False when this batch id was applied before (a retry whose earlier commit landed): nothing added. */
  readonly applied: boolean;
  /** Per credential in the batch: its first recorded use before this batch (null: none) and the addresses it had never used. */
  readonly credentials: ReadonlyMap<string, { firstUse: number | null; newIps: readonly string[] }>;
}

const DAY_MS = 86_400_000;

/** Usage records on SQLite or PostgreSQL (the same queries on both). */
export class UsageStore {
  readonly #db: Kysely<Schema>;
  readonly #least: string;
  readonly #greatest: string;

  constructor(db: Kysely<Schema>, dialect: 'sqlite' | 'postgres') {
    this.#db = db;
    // SQLite's scalar min/max of two values are PostgreSQL's least/greatest.
    this.#least = dialect === 'postgres' ? 'least' : 'min';
    this.#greatest = dialect === 'postgres' ? 'greatest' : 'max';
  }

  /**
   * Adds one batch's counts in one transaction, together with its id: a crash before the commit
   * loses this batch only, and a batch is never added twice (the id's row makes a retry a no-op).
   */
  async apply(batch: UsageBatch, now: number): Promise<AppliedBatch> {
    return this.#db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('usage_batches')
        .values({ id: batch.id, applied_at: now })
        .onConflict((oc) => oc.column('id').doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0)
        return { applied: false, credentials: new Map() };
      const found = new Map<string, { firstUse: number | null; newIps: string[] }>();
      for (const [credentialId, usage] of batch.credentials) {
        const known = await trx
          .selectFrom('usage_ips')
          .select(['ip', 'first_seen'])
          .where('credential_id', '=', credentialId)
          .where('ip', 'in', [...usage.ips.keys()])
          .execute();
        const first = await trx
          .selectFrom('usage_ips')
          .select((eb) => eb.fn.min('first_seen').as('first'))
          .where('credential_id', '=', credentialId)
          .executeTakeFirst();
        const seen = new Set(known.map((row) => row.ip));
        found.set(credentialId, {
          firstUse: first?.first == null ? null : Number(first.first),
          newIps: [...usage.ips.keys()].filter((ip) => !seen.has(ip)),
        });
        for (const [minute, counts] of usage.minutes) {
          await trx
            .insertInto('usage_minutes')
            .values({
              credential_id: credentialId,
              minute,
              status_2xx: counts[0],
              status_3xx: counts[1],
              status_4xx: counts[2],
              status_5xx: counts[3],
            })
            .onConflict((oc) =>
              oc.columns(['credential_id', 'minute']).doUpdateSet({
                status_2xx: sql`usage_minutes.status_2xx + excluded.status_2xx`,
                status_3xx: sql`usage_minutes.status_3xx + excluded.status_3xx`,
                status_4xx: sql`usage_minutes.status_4xx + excluded.status_4xx`,
                status_5xx: sql`usage_minutes.status_5xx + excluded.status_5xx`,
              }),
            )
            .execute();
        }
        for (const [ip, use] of usage.ips) {
          await trx
            .insertInto('usage_ips')
            .values({
              credential_id: credentialId,
              ip,
              first_seen: use.firstSeen,
              last_seen: use.lastSeen,
              request_count: use.count,
            })
            .onConflict((oc) =>
              oc.columns(['credential_id', 'ip']).doUpdateSet({
                first_seen: sql`${sql.raw(this.#least)}(usage_ips.first_seen, excluded.first_seen)`,
                last_seen: sql`${sql.raw(this.#greatest)}(usage_ips.last_seen, excluded.last_seen)`,
                request_count: sql`usage_ips.request_count + excluded.request_count`,
              }),
            )
            .execute();
        }
      }
      await trx
        .deleteFrom('usage_batches')
        .where('applied_at', '<', now - DAY_MS)
        .execute();
      return { applied: true, credentials: found };
    });
  }

  /** A credential's minutes in [since, until), oldest first (at most `limit` when given). */
  async minutes(credentialId: string, since: number, until: number, limit?: number): Promise<UsageMinute[]> {
    let select = this.#db
      .selectFrom('usage_minutes')
      .selectAll()
      .where('credential_id', '=', credentialId)
      .where('minute', '>=', since)
      .where('minute', '<', until)
      .orderBy('minute');
    if (limit !== undefined) select = select.limit(limit);
    const rows = await select.execute();
    return rows.map((row) => ({
      minute: Number(row.minute),
      status2xx: Number(row.status_2xx),
      status3xx: Number(row.status_3xx),
      status4xx: Number(row.status_4xx),
      status5xx: Number(row.status_5xx),
    }));
  }

  /** The credentials used from `ip` at or after `since` (incident selection by address). */
  async credentialsUsedFrom(ip: string, since: number): Promise<Set<string>> {
    const rows = await this.#db
      .selectFrom('usage_ips')
      .select('credential_id')
      .where('ip', '=', ip)
      .where('last_seen', '>=', since)
      .execute();
    return new Set(rows.map((row) => row.credential_id));
  }

  /** The addresses a credential was used from, most recent first. */
  async ips(
    credentialId: string,
  ): Promise<{ ip: string; firstSeen: number; lastSeen: number; count: number }[]> {
    const rows = await this.#db
      .selectFrom('usage_ips')
      .selectAll()
      .where('credential_id', '=', credentialId)
      .orderBy('last_seen', 'desc')
      .execute();
    return rows.map((row) => ({
      ip: row.ip,
      firstSeen: Number(row.first_seen),
      lastSeen: Number(row.last_seen),
      count: Number(row.request_count),
    }));
  }

  /**
   * The addresses a credential was used from during [since, until) (first seen before `until`, last
   * seen at or after `since`), by first use, at most `limit`.
   */
  async ipsBetween(
    credentialId: string,
    range: { since: number; until: number; limit: number },
  ): Promise<UsedAddress[]> {
    const rows = await this.#db
      .selectFrom('usage_ips')
      .selectAll()
      .where('credential_id', '=', credentialId)
      .where('first_seen', '<', range.until)
      .where('last_seen', '>=', range.since)
      .orderBy('first_seen')
      .orderBy('ip')
      .limit(range.limit)
      .execute();
    return rows.map(toUsedAddress);
  }

  /**
   * Per credential: how many addresses it was used from, and its `perCredential` most recent ones
   * (an access review's column; the count is exact, the list bounded).
   */
  async addressSummaries(
    perCredential: number,
  ): Promise<Map<string, { count: number; recent: UsedAddress[] }>> {
    const counts = await this.#db
      .selectFrom('usage_ips')
      .select((eb) => ['credential_id', eb.fn.countAll<number | string>().as('n')])
      .groupBy('credential_id')
      .execute();
    const recent = await sql<UsageIpRow & { recency: number | string }>`
      select * from (
        select credential_id, ip, first_seen, last_seen, request_count,
          row_number() over (partition by credential_id order by last_seen desc, ip) as recency
        from usage_ips
      ) ranked where recency <= ${perCredential} order by credential_id, recency`.execute(this.#db);
    const summaries = new Map<string, { count: number; recent: UsedAddress[] }>();
    for (const row of counts) summaries.set(row.credential_id, { count: Number(row.n), recent: [] });
    for (const row of recent.rows) summaries.get(row.credential_id)?.recent.push(toUsedAddress(row));
    return summaries;
  }
}

/** An address a credential was used from. */
export interface UsedAddress {
  readonly ip: string;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly count: number;
}

interface UsageIpRow {
  credential_id: string;
  ip: string;
  first_seen: number | string;
  last_seen: number | string;
  request_count: number | string;
}

function toUsedAddress(row: UsageIpRow): UsedAddress {
  return {
    ip: row.ip,
    firstSeen: Number(row.first_seen),
    lastSeen: Number(row.last_seen),
    count: Number(row.request_count),
  };
}
