import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';
import type { AuditContext } from './audit-context.ts';
import { ChangeGroups } from './change-groups.ts';

const groupsByDatabase = new WeakMap<Kysely<Schema>, ChangeGroups>();

/** Thrown (rolling the transaction back) when the key was already used by a committed request. */
export class IdempotencyKeyTaken extends Error {
  constructor() {
    super('The Idempotency-Key was used by a request that has already committed');
    this.name = 'IdempotencyKeyTaken';
  }
}

/**
 * Runs one change in a transaction, with the idempotency claim of `context` (if any) taken first and
 * completed with the change's result last, before the commit. A method that passes its context here
 * must return what `work` returned, since that is what the stored response was rendered from.
 *
 * Changes arriving together share one transaction and one commit (`ChangeGroups`): each is isolated
 * by a savepoint and settles only once the group has committed. `work` must use only `trx` for
 * the change and must not start another change (it would wait for its own group).
 */
export function changeTransaction<R>(
  db: Kysely<Schema>,
  context: AuditContext,
  work: (trx: Kysely<Schema>) => Promise<R>,
): Promise<R> {
  let groups = groupsByDatabase.get(db);
  if (!groups) {
    groups = new ChangeGroups(db);
    groupsByDatabase.set(db, groups);
  }
  const claim = context.idempotency;
  if (!claim) return groups.run(work);
  return groups.run(async (trx) => {
    if (!(await claim.take(trx))) throw new IdempotencyKeyTaken();
    const result = await work(trx);
    await claim.complete(trx, result);
    return result;
  });
}
