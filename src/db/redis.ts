import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { endpointOf, reasonOf, StartupError } from '../config/startup-error.ts';
import type { Secret } from '../crypto/secret.ts';

export type { Redis } from 'ioredis';

const CONNECT_TIMEOUT_MS = 5_000;
const ERROR_LOG_INTERVAL_MS = 10_000;

/**
 * Connects to `GATEHOUSE_REDIS_URL` and waits until it answers, so a wrong URL stops start instead
 * of degrading silently. Commands fail fast while the connection is down (no offline queue): the
 * callers have fallbacks (local rate limits, the credential cache TTL) and must not hang. Errors are
 * logged by code, at most every 10 s, and never with the URL (it may hold a password).
 */
export async function connectRedis(url: Secret, options: { name: string; logger: Logger }): Promise<Redis> {
  const client = new Redis(url.reveal(), {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: 1_000,
    connectionName: options.name,
  });
  let lastLogged = 0;
  let lastError: unknown;
  client.on('error', (error: NodeJS.ErrnoException) => {
    lastError = error;
    const now = Date.now();
    if (now - lastLogged < ERROR_LOG_INTERVAL_MS) return;
    lastLogged = now;
    options.logger.warn(
      { redis: options.name, err_code: error.code ?? error.name },
      'redis connection problem',
    );
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), CONNECT_TIMEOUT_MS);
      }),
    ]);
  } catch (error) {
    client.disconnect();
    // ioredis rejects with "Connection is closed"; the cause (ECONNREFUSED, WRONGPASS…) came as an event.
    throw new StartupError(
      `cannot connect to Redis at ${endpointOf(url.reveal(), 6379)} (GATEHOUSE_REDIS_URL): ${reasonOf(lastError ?? error)}; start Redis, correct GATEHOUSE_REDIS_URL, or unset it to run without Redis`,
      { cause: error },
    );
  } finally {
    clearTimeout(timer);
  }
  return client;
}
