import { type Kysely, sql } from 'kysely';
import type { Schema } from '../db/schema.ts';
import type { AuditLogTable } from './audit-schema.ts';

/** The most changes committed together; bounds how long one transaction holds the write lock. */
const MAX_GROUP = 32;

/** An audit entry before it has a place in the chain: everything but `seq`, `prev_hash` and `hash`. */
export type UnlinkedEntry = Omit<AuditLogTable, 'seq' | 'prev_hash' | 'hash'>;

/** What links entries to the chain (the audit log), locking the head inside `trx`. */
export interface ChainLinker {
  linkEntries(trx: Kysely<Schema>, entries: readonly UnlinkedEntry[]): Promise<void>;
}

/** An audit entry waiting in a group transaction to be linked to the chain just before the commit. */
export interface PendingAppend {
  readonly linker: ChainLinker;
  readonly entry: UnlinkedEntry;
}

interface Member {
  readonly work: (trx: Kysely<Schema>) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown };

/** Audit appends made inside a group transaction, by the transaction they belong to. */
const pendingByTransaction = new WeakMap<Kysely<Schema>, PendingAppend[]>();

/**
 * The appends buffered for `trx` when it is a group transaction (the caller appends to the list),
 * or undefined for any other transaction, where an append links at once.
 */
export function pendingAppendsOf(trx: Kysely<Schema>): PendingAppend[] | undefined {
  return pendingByTransaction.get(trx);
}

/** Thrown inside a group transaction to roll it back when its first change failed. */
class FirstChangeFailed extends Error {}

/**
 * Group commit for audited changes. Changes that arrive while a transaction is running wait for it,
 * then run together in the next one: each after a savepoint of its own (a change that fails is
 * rolled back to it, leaving neither its writes nor its audit entry, and only it fails), its audit
 * entries held back; just before the commit the group's entries are linked to the chain under one
 * head lock, in the order the changes ran, and the group commits once. A change's promise settles
 * only after that commit, so an acknowledged change is durable; if the commit fails, every change
 * of the group fails. On SQLite the one connection serialises transactions anyway; the head row is
 * locked only at the end, as a lone change did before, so the lock order across instances is kept.
 */
export class ChangeGroups {
  readonly #db: Kysely<Schema>;
  readonly #queue: Member[] = [];
  #running = false;

  constructor(db: Kysely<Schema>) {
    this.#db = db;
  }

  run<R>(work: (trx: Kysely<Schema>) => Promise<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#running) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#queue.length > 0) await this.#commit(this.#queue.splice(0, MAX_GROUP));
    } finally {
      this.#running = false;
    }
  }

  async #commit(group: Member[]): Promise<void> {
    const outcomes: Outcome[] = [];
    try {
      await this.#db.transaction().execute(async (trx) => {
        const pending: PendingAppend[] = [];
        pendingByTransaction.set(trx, pending);
        for (let i = 0; i < group.length; i++) {
          const member = group[i] as Member;
          const mark = pending.length;
          // The first change needs no savepoint: when it fails the whole transaction rolls back.
          if (i > 0) await sql`savepoint ${sql.raw(`change_${i}`)}`.execute(trx);
          try {
            outcomes.push({ ok: true, value: await member.work(trx) });
          } catch (error) {
            outcomes.push({ ok: false, error });
            if (i === 0) throw new FirstChangeFailed();
            await sql`rollback to savepoint ${sql.raw(`change_${i}`)}`.execute(trx);
            pending.length = mark;
          }
        }
        await linkPending(trx, pending);
      });
    } catch (error) {
      if (error instanceof FirstChangeFailed) {
        // Only the first change ran, and failed: it alone fails; the others wait for the next group.
        group[0]?.reject((outcomes[0] as { error: unknown }).error);
        this.#queue.unshift(...group.slice(1));
        return;
      }
      // The transaction itself failed (a savepoint, the linking, the commit): nothing of this group
      // committed, so every change fails, with its own error if it had one.
      for (const [i, member] of group.entries()) {
        const outcome = outcomes[i];
        member.reject(outcome && !outcome.ok ? outcome.error : error);
      }
      return;
    }
    for (const [i, outcome] of outcomes.entries()) {
      const member = group[i] as Member;
      if (outcome.ok) member.resolve(outcome.value);
      else member.reject(outcome.error);
    }
  }
}

/** Links the held-back entries in order, one call per run of entries of the same audit log. */
async function linkPending(trx: Kysely<Schema>, pending: readonly PendingAppend[]): Promise<void> {
  let start = 0;
  for (let i = 1; i <= pending.length; i++) {
    const first = pending[start] as PendingAppend;
    if (i < pending.length && (pending[i] as PendingAppend).linker === first.linker) continue;
    await first.linker.linkEntries(
      trx,
      pending.slice(start, i).map((append) => append.entry),
    );
    start = i;
  }
}
