import type { SecurityEventTable } from './security-event-schema.ts';

/** How long identical events share one row, and how often a row's count is brought up to date. */
export const REPEAT_WINDOW_MS = 60_000;
const FLUSH_DELAY_MS = 1_000;
/** Bounds memory under a flood of distinct events; past it an event gets a row of its own. */
const MAX_GROUPS = 10_000;

interface Group {
  readonly id: string;
  readonly details: Record<string, unknown>;
  readonly endsAt: number;
  readonly inserted: Promise<void>;
  count: number;
  lastSeen: number;
  stored: number;
}

export interface RepeatStore {
  insert(row: SecurityEventTable): Promise<void>;
  updateDetails(id: string, detailsJson: string): Promise<void>;
}

/**
 * Folds identical security events (same type, source, credential, IP and details) seen within
 * `REPEAT_WINDOW_MS` into one row whose details carry `count` and `last_seen`: a brute force of
 * thousands of attempts is one row per attacker address and minute, not thousands. The first
 * event of a group is stored at once; the count follows within a second (and on `flush`).
 */
export class RepeatedEvents {
  readonly #store: RepeatStore;
  readonly #groups = new Map<string, Group>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(store: RepeatStore) {
    this.#store = store;
  }

  /** Stores `row` as a new group or counts it in an open one; true when it opened a group (or stood alone). */
  record(
    row: SecurityEventTable,
    now: number,
  ): { readonly first: boolean; readonly stored: Promise<void>; readonly id: string } {
    const key = JSON.stringify([
      row.event,
      row.source,
      row.credential_id,
      row.integrator_id,
      row.ip,
      row.details_json,
    ]);
    const open = this.#groups.get(key);
    if (open !== undefined && open.endsAt > now) {
      open.count++;
      open.lastSeen = now;
      this.#scheduleFlush();
      return { first: false, stored: open.inserted, id: open.id };
    }
    if (open === undefined && this.#groups.size >= MAX_GROUPS) this.#dropClosed(now);
    if (this.#groups.size >= MAX_GROUPS) return { first: true, stored: this.#store.insert(row), id: row.id };
    const details = JSON.parse(row.details_json) as Record<string, unknown>;
    const inserted = this.#store.insert({ ...row, details_json: detailsWith(details, 1, now) });
    this.#groups.set(key, {
      id: row.id,
      details,
      endsAt: now + REPEAT_WINDOW_MS,
      inserted,
      count: 1,
      lastSeen: now,
      stored: 1,
    });
    return { first: true, stored: inserted, id: row.id };
  }

  /** Writes every count not yet stored (called on close, and a second after a repeat). */
  flush(now = Date.now()): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#flushing = this.#flushing.then(async () => {
      for (const group of this.#groups.values()) {
        if (group.count === group.stored) continue;
        const count = group.count;
        await group.inserted;
        await this.#store.updateDetails(group.id, detailsWith(group.details, count, group.lastSeen));
        group.stored = count;
      }
      this.#dropClosed(now);
    });
    return this.#flushing;
  }

  #scheduleFlush(): void {
    this.#timer ??= setTimeout(() => void this.flush(), FLUSH_DELAY_MS).unref();
  }

  #dropClosed(now: number): void {
    for (const [key, group] of this.#groups) {
      if (group.endsAt <= now && group.count === group.stored) this.#groups.delete(key);
    }
  }
}

function detailsWith(details: Record<string, unknown>, count: number, lastSeen: number): string {
  return JSON.stringify({ ...details, count, last_seen: new Date(lastSeen).toISOString() });
}
