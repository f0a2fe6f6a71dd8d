import { Secret } from '../crypto/secret.ts';
import type { Config } from './config.ts';

/**
 * A `Config` as it crosses to another thread (`workerData`): a structured clone keeps plain data,
 * maps and key objects, but not a `Secret`'s private field, so the secrets the other thread needs
 * travel as their values, and the owner token, which only the main thread uses, stays behind.
 */
export interface ThreadConfig extends Omit<Config, 'databaseUrl' | 'redisUrl' | 'pepper' | 'adminToken'> {
  readonly secrets: {
    readonly databaseUrl: string | null;
    readonly redisUrl: string | null;
    readonly pepper: string;
  };
}

/** What `configFromThread` on the other side turns back into this config (less the owner token). */
export function configForThread(config: Config): ThreadConfig {
  const { databaseUrl, redisUrl, pepper, adminToken: _ownerTokenStaysHere, ...plain } = config;
  return {
    ...plain,
    secrets: {
      databaseUrl: databaseUrl?.reveal() ?? null,
      redisUrl: redisUrl?.reveal() ?? null,
      pepper: pepper.reveal(),
    },
  };
}

/** The config `configForThread` sent, frozen again, its secrets wrapped again. */
export function configFromThread(sent: ThreadConfig): Config {
  const { secrets, ...plain } = sent;
  return deepFreeze({
    ...plain,
    databaseUrl: secrets.databaseUrl === null ? null : new Secret(secrets.databaseUrl),
    redisUrl: secrets.redisUrl === null ? null : new Secret(secrets.redisUrl),
    pepper: new Secret(secrets.pepper),
    adminToken: null,
  });
}

/** Freezes plain objects and arrays all the way down (a clone arrives unfrozen); leaves class instances be. */
function deepFreeze<T>(value: T): T {
  const prototype = value !== null && typeof value === 'object' ? Object.getPrototypeOf(value) : undefined;
  if (prototype !== Object.prototype && prototype !== Array.prototype) return value;
  for (const child of Object.values(value as object)) deepFreeze(child);
  return Object.freeze(value);
}
