import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';

export interface UsageState {
  readonly refillAmount: number | null;
  readonly refillIntervalMs: number | null;
  readonly refilledAt: number | null;
}

/**
 * Takes one use from a capped key, atomically in the database so instances sharing it never
 * over-admit. When the refill period has passed, the allowance is reset first (exactly one
 * instance wins the reset; the others fall through to a normal decrement).
 */
export async function consumeUse(
  db: Kysely<Schema>,
  keyId: string,
  usage: UsageState,
  now: number,
): Promise<boolean> {
  const { refillAmount, refillIntervalMs, refilledAt } = usage;
  if (
    refillAmount !== null &&
    refillIntervalMs !== null &&
    refilledAt !== null &&
    now >= refilledAt + refillIntervalMs
  ) {
    const refilled = await db
      .updateTable('api_keys')
      .set({ usage_remaining: refillAmount - 1, usage_refilled_at: now })
      .where('id', '=', keyId)
      .where('usage_refilled_at', '=', refilledAt)
      .executeTakeFirst();
    if (refilled.numUpdatedRows > 0n) return true;
  }
  const taken = await db
    .updateTable('api_keys')
    .set((eb) => ({ usage_remaining: eb('usage_remaining', '-', 1) }))
    .where('id', '=', keyId)
    .where('usage_remaining', '>', 0)
    .executeTakeFirst();
  return taken.numUpdatedRows > 0n;
}
