import type { Kysely, Updateable, UpdateResult } from 'kysely';
import type { Schema } from '../db/schema.ts';
import { staleVersion } from '../http/etag.ts';
import type { AuditContext, AuditLog } from './audit-log.ts';
import { changeTransaction } from './change-transaction.ts';

/** One change to a versioned resource, described for `applyAuditedChange`. */
export interface AuditedChange<T extends { version: number }, R = T> {
  /** The audit action, or a function of the state before (e.g. `integrator.disable`). */
  readonly action: string | ((before: T) => string);
  readonly target: { readonly type: string; readonly id: string };
  readonly context: AuditContext;
  /** The version an If-Match asked for; undefined when the client sent none. */
  readonly expectedVersion?: number | undefined;
  /** Reads the resource (inside the transaction); throws a 404 when it does not exist. */
  load(trx: Kysely<Schema>): Promise<T>;
  /**
   * Writes the change, guarded by `where version = before.version` and bumping the version, and
   * returns the update's result; or `'unchanged'` when there is nothing to do (no audit entry).
   */
  apply(trx: Kysely<Schema>, before: T): Promise<UpdateResult | 'unchanged'>;
  /** What the audit entry records as the state after (default: the resource read back). */
  recordAfter?(after: T): unknown;
  /**
   * What the change returns, made from the state after inside the transaction (default: that
   * state): with an Idempotency-Key, the stored response is rendered from it before the commit.
   */
  result?(after: T): R;
}

/**
 * Runs a change and its audit entry in one transaction: read, check If-Match (412), write guarded
 * by the version read (so a concurrent writer on another connection makes this one a 412, not a
 * lost update), read back, append the before/after to the audit chain. The context's idempotency
 * claim, if any, is taken first and completed with `result(after)` last (see `changeTransaction`).
 */
export function applyAuditedChange<T extends { version: number }, R = T>(
  db: Kysely<Schema>,
  audit: AuditLog,
  change: AuditedChange<T, R>,
): Promise<R> {
  const finish = (state: T): R => (change.result ? change.result(state) : (state as unknown as R));
  return changeTransaction(db, change.context, async (trx) => {
    const before = await change.load(trx);
    if (change.expectedVersion !== undefined && before.version !== change.expectedVersion)
      throw staleVersion();
    const result = await change.apply(trx, before);
    if (result === 'unchanged') return finish(before);
    if (result.numUpdatedRows === 0n) throw staleVersion();
    const after = await change.load(trx);
    await audit.append(trx, {
      ...change.context,
      action: typeof change.action === 'string' ? change.action : change.action(before),
      target: change.target,
      before,
      after: change.recordAfter ? change.recordAfter(after) : after,
    });
    return finish(after);
  });
}

/** The tables of versioned resources (C4): an `id`, a `version` bumped by every change. */
export type VersionedTable = 'api_keys' | 'oauth_clients' | 'webhook_endpoints' | 'integrators';

/**
 * The guarded write of an audited change: sets `columns`, bumps the version, and matches only the
 * version that was read, so a concurrent change makes this one update nothing (→ 412).
 */
export function updateVersioned<T extends VersionedTable>(
  trx: Kysely<Schema>,
  table: T,
  before: { readonly id: string; readonly version: number },
  columns: Updateable<Schema[T]>,
): Promise<UpdateResult> {
  // The tables share `id` and `version`; the casts name one of them for the types.
  return trx
    .updateTable(table as 'api_keys')
    .set({ ...(columns as Updateable<Schema['api_keys']>), version: before.version + 1 })
    .where('id', '=', before.id)
    .where('version', '=', before.version)
    .executeTakeFirst();
}
