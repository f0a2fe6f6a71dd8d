/**
 * The statements a usage batch is written and read with, one text per dialect. Each takes a chunk
 * of rows as a single JSON array parameter, so a chunk of any size is one statement whose text never
 * changes: SQLite prepares it once (`db/sqlite-adapter.ts` keeps it), and no query is built per
 * credential.
 */
export interface UsageStatements {
  /** `[credential, ip]` rows → per row the credential's first recorded use and whether the address is known. */
  readonly lookup: string;
  /** `[credential, minute, 2xx, 3xx, 4xx, 5xx]` rows, added to the stored minutes → each minute's `credential_id` and stored `total`. */
  readonly addMinutes: string;
  /** `[credential, ip, firstSeen, lastSeen, count]` rows, merged into the stored addresses. */
  readonly addIps: string;
  /** `[credential, since, until]` rows → the credential's minutes in [since, until). */
  readonly recentMinutes: string;
}

export function usageStatements(dialect: 'sqlite' | 'postgres'): UsageStatements {
  // `j.value` is one row of the array; `->>` reads its nth element as text (SQLite: as its JSON type).
  const rows =
    dialect === 'postgres' ? 'json_array_elements(cast($1 as json)) as j(value)' : 'json_each(?) as j';
  const text = (n: number) => `(j.value->>${n})`;
  const int = (n: number) => `cast(j.value->>${n} as bigint)`;
  // SQLite's scalar min/max of two values are PostgreSQL's least/greatest.
  const least = dialect === 'postgres' ? 'least' : 'min';
  const greatest = dialect === 'postgres' ? 'greatest' : 'max';
  // `where true`: SQLite needs it to read `on conflict` after `insert … select` as the upsert clause.
  return {
    lookup: `select ${text(0)} as credential_id, ${text(1)} as ip,
      (select min(u.first_seen) from usage_ips u where u.credential_id = ${text(0)}) as first_use,
      case when exists (select 1 from usage_ips u where u.credential_id = ${text(0)} and u.ip = ${text(1)})
        then 1 else 0 end as known
      from ${rows}`,
    addMinutes: `insert into usage_minutes (credential_id, minute, status_2xx, status_3xx, status_4xx, status_5xx)
      select ${text(0)}, ${int(1)}, ${int(2)}, ${int(3)}, ${int(4)}, ${int(5)} from ${rows} where true
      on conflict (credential_id, minute) do update set
        status_2xx = usage_minutes.status_2xx + excluded.status_2xx,
        status_3xx = usage_minutes.status_3xx + excluded.status_3xx,
        status_4xx = usage_minutes.status_4xx + excluded.status_4xx,
        status_5xx = usage_minutes.status_5xx + excluded.status_5xx
      returning credential_id, status_2xx + status_3xx + status_4xx + status_5xx as total`,
    addIps: `insert into usage_ips (credential_id, ip, first_seen, last_seen, request_count)
      select ${text(0)}, ${text(1)}, ${int(2)}, ${int(3)}, ${int(4)} from ${rows} where true
      on conflict (credential_id, ip) do update set
        first_seen = ${least}(usage_ips.first_seen, excluded.first_seen),
        last_seen = ${greatest}(usage_ips.last_seen, excluded.last_seen),
        request_count = usage_ips.request_count + excluded.request_count`,
    recentMinutes: `select m.credential_id, m.minute, m.status_2xx, m.status_3xx, m.status_4xx, m.status_5xx
      from ${rows} join usage_minutes m
        on m.credential_id = ${text(0)} and m.minute >= ${int(1)} and m.minute < ${int(2)}`,
  };
}

/** The items in chunks of at most `size`, in order. */
export function* chunksOf<T>(items: Iterable<T>, size: number): Generator<T[]> {
  let chunk: T[] = [];
  for (const item of items) {
    chunk.push(item);
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}
