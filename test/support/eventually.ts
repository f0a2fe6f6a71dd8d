import { setTimeout as sleep } from 'node:timers/promises';

export interface EventuallyOptions {
  /** How long the fact may take to hold before the test fails (default 10 s). */
  readonly timeoutMs?: number;
  /** The pause between checks (default 20 ms). */
  readonly intervalMs?: number;
  /** What is awaited, for the failure message. */
  readonly what?: string;
}

/**
 * Checks `check` until it returns a value other than `undefined`, `null` or `false`, and returns
 * that value. Fails after `timeoutMs` with what was awaited and the last value seen (or the last
 * error `check` threw), so a slow machine makes a test fail loudly, never pass by accident.
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  options: EventuallyOptions = {},
): Promise<Exclude<T, undefined | null | false>> {
  const { timeoutMs = 10_000, intervalMs = 20, what = 'the condition' } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: string;
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) {
        return value as Exclude<T, undefined | null | false>;
      }
      last = `last value: ${JSON.stringify(value)}`;
    } catch (error) {
      last = `last error: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (Date.now() >= deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${last})`);
    await sleep(intervalMs);
  }
}

/** Reads until `done` holds for the value read, and returns that value (see `eventually`). */
export async function readUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  options: EventuallyOptions = {},
): Promise<T> {
  const { value } = await eventually(async () => {
    const seen = await read();
    if (!done(seen)) throw new Error(`read ${JSON.stringify(seen)}`);
    return { value: seen };
  }, options);
  return value;
}
