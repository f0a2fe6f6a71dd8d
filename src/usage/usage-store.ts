import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { CompiledQuery, type Kysely, sql, type Transaction } from 'kysely';
import type { Schema } from '../db/schema.ts';
import { KnownAddresses } from './known-addresses.ts';
import type { CredentialUsage, UsageBatch } from './usage-counter.ts';
import { chunksOf, type UsageStatements, usageStatements } from './usage-statements.ts';

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
  /** False when all of this batch was applied before (a retry whose earlier commits landed): nothing added. */
  readonly applied: boolean;
  /** Per credential this call added: what it was before the batch, and its busiest minute after. */
  readonly credentials: ReadonlyMap<string, AppliedCredential>;
}

/** One credential of an applied batch, for the detectors. */
export interface AppliedCredential {
  /** Its first recorded use before this batch (null: none). */
  readonly firstUse: number | null;
  /** The addresses of this batch it had never used. */
  readonly newIps: readonly string[];
  /** The most requests stored for one of this batch's minutes, this batch's included. */
  readonly busiestMinute: number;
}

type Found = Map<string, { firstUse: number | null; newIps: string[]; busiestMinute: number }>;

const DAY_MS = 86_400_000;
/**
 * Credentials per chunk of a batch: a chunk is one short transaction of three statements and the
 * event loop runs between chunks, so a flush of 100,000 credentials neither holds the data path's
 * thread nor the database's write lock for long.
 */
export const CREDENTIALS_PER_CHUNK = 500;

/** Usage records on SQLite or PostgreSQL (the same queries on both, bar `usage-statements.ts`' dialect words). */
export class UsageStore {
  readonly #db: Kysely<Schema>;
  readonly #statements: UsageStatements;
  readonly #known = new KnownAddresses();

  constructor(db: Kysely<Schema>, dialect: 'sqlite' | 'postgres') {
    this.#db = db;
    this.#statements = usageStatements(dialect);
  }

  /**
   * Adds one batch's counts, a chunk of credentials per transaction with the event loop running
   * between chunks. Each chunk's transaction records a marker (`<id>#<n>`; the last one records the
   * batch id and clears the markers), so a retry of a batch skips what an earlier attempt committed
   * and a count is never added twice; a crash loses only the chunks not yet committed. `pause` gives
   * the event loop its turn between chunks.
   */
  async apply(
    batch: UsageBatch,
    now: number,
    pause: () => Promise<unknown> = yieldToEventLoop,
  ): Promise<AppliedBatch> {
    const found: Found = new Map();
    const recorded = await this.#db
      .selectFrom('usage_batches')
      .select('id')
      .where('id', '=', batch.id)
      .executeTakeFirst();
    if (recorded !== undefined) return { applied: false, credentials: found };
    // In key order, each chunk touches a narrow range of the tables' indexes: fewer pages to read
    // and to write at each commit than credentials picked at random.
    const sorted = [...batch.credentials].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const chunks = [...chunksOf(sorted, CREDENTIALS_PER_CHUNK)];
    if (chunks.length === 0) chunks.push([]);
    const markers = chunks.slice(0, -1).map((_, n) => `${batch.id}#${n}`);
    let applied = false;
    for (const [n, chunk] of chunks.entries()) {
      if (n > 0) await pause();
      const last = n === chunks.length - 1;
      const added = await this.#db.transaction().execute(async (trx) => {
        const inserted = await trx
          .insertInto('usage_batches')
          .values({ id: last ? batch.id : (markers[n] as string), applied_at: now })
          .onConflict((oc) => oc.column('id').doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return false;
        await this.#applyChunk(trx, chunk, found, now);
        if (!last) return true;
        if (markers.length > 0) await trx.deleteFrom('usage_batches').where('id', 'in', markers).execute();
        await trx
          .deleteFrom('usage_batches')
          .where('applied_at', '<', now - DAY_MS)
          .execute();
        return true;
      });
      applied ||= added;
      if (added) this.#confirm(chunk, found);
    }
    return { applied, credentials: found };
  }

  async #applyChunk(
    trx: Transaction<Schema>,
    chunk: readonly [string, CredentialUsage][],
    found: Found,
    now: number,
  ): Promise<void> {
    const unknown: [string, string][] = [];
    const minutes: (string | number)[][] = [];
    const ips: (string | number)[][] = [];
    for (const [credentialId, usage] of chunk) {
      const firstUse = this.#known.firstUseIfKnown(credentialId, usage.ips.keys(), now);
      found.set(credentialId, { firstUse: firstUse ?? null, newIps: [], busiestMinute: 0 });
      for (const [minute, counts] of usage.minutes)
        minutes.push([credentialId, minute, counts[0], counts[1], counts[2], counts[3]]);
      for (const [ip, use] of usage.ips) {
        if (firstUse === undefined) unknown.push([credentialId, ip]);
        ips.push([credentialId, ip, use.firstSeen, use.lastSeen, use.count]);
      }
    }
    // Read before writing: the detectors want each credential's state before this batch.
    if (unknown.length > 0) {
      const known = await trx.executeQuery<LookupRow>(
        CompiledQuery.raw(this.#statements.lookup, [JSON.stringify(unknown)]),
      );
      for (const row of known.rows) {
        const entry = found.get(row.credential_id);
        if (entry === undefined) continue;
        if (row.first_use != null) entry.firstUse = Number(row.first_use);
        if (Number(row.known) === 0) entry.newIps.push(row.ip);
      }
    }
    const totals = await trx.executeQuery<MinuteTotalRow>(
      CompiledQuery.raw(this.#statements.addMinutes, [JSON.stringify(minutes)]),
    );
    for (const row of totals.rows) {
      const entry = found.get(row.credential_id);
      if (entry !== undefined) entry.busiestMinute = Math.max(entry.busiestMinute, Number(row.total));
    }
    await trx.executeQuery(CompiledQuery.raw(this.#statements.addIps, [JSON.stringify(ips)]));
  }

  /** Remembers what a committed chunk proved of its credentials' addresses (`KnownAddresses`). */
  #confirm(chunk: readonly [string, CredentialUsage][], found: Found): void {
    for (const [credentialId, usage] of chunk) {
      let firstUse = found.get(credentialId)?.firstUse ?? Number.POSITIVE_INFINITY;
      const seen: [string, number][] = [];
      for (const [ip, use] of usage.ips) {
        firstUse = Math.min(firstUse, use.firstSeen);
        seen.push([ip, use.lastSeen]);
      }
      this.#known.confirm(credentialId, firstUse, seen);
    }
  }

  /**
   * Per credential, its minutes in [since, until), in one statement for many credentials (the
   * detectors' read after a batch). A credential with no minutes in its range is absent.
   */
  async recentMinutes(
    ranges: readonly (readonly [credentialId: string, since: number, until: number])[],
  ): Promise<Map<string, UsageMinute[]>> {
    const result = await this.#db.executeQuery<UsageMinuteRow>(
      CompiledQuery.raw(this.#statements.recentMinutes, [JSON.stringify(ranges)]),
    );
    const byCredential = new Map<string, UsageMinute[]>();
    for (const row of result.rows) {
      let list = byCredential.get(row.credential_id);
      if (list === undefined) {
        list = [];
        byCredential.set(row.credential_id, list);
      }
      list.push(toUsageMinute(row));
    }
    for (const list of byCredential.values()) list.sort((a, b) => a.minute - b.minute);
    return byCredential;
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
    return rows.map(toUsageMinute);
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

interface LookupRow {
  credential_id: string;
  ip: string;
  first_use: number | string | null;
  known: number | string;
}

interface MinuteTotalRow {
  credential_id: string;
  total: number | string;
}

interface UsageMinuteRow {
  credential_id: string;
  minute: number | string;
  status_2xx: number | string;
  status_3xx: number | string;
  status_4xx: number | string;
  status_5xx: number | string;
}

function toUsageMinute(row: Omit<UsageMinuteRow, 'credential_id'>): UsageMinute {
  return {
    minute: Number(row.minute),
    status2xx: Number(row.status_2xx),
    status3xx: Number(row.status_3xx),
    status4xx: Number(row.status_4xx),
    status5xx: Number(row.status_5xx),
  };
}
