import { resolve } from 'node:path';
import type { Keyring } from '../crypto/envelope.ts';
import { isValidPrefix } from '../crypto/key-format.ts';
import type { Secret } from '../crypto/secret.ts';
import { loadDevelopmentSecrets } from './development-secrets.ts';
import { parseEncryptionKeys } from './encryption-keys.ts';
import { type Env, EnvReader, looksLikePlaceholder } from './env-reader.ts';

export type Mode = 'development' | 'production';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Listener {
  readonly host: string;
  readonly port: number;
}

/**
 * What Gatehouse reads from its environment for itself, validated once at start. Each feature's
 * own section (the gateway file, webhooks, OAuth) is read by that feature's reader, registered by
 * the composition root (`server/config.ts`), which names the whole `Config`.
 */
export interface BaseConfig {
  readonly mode: Mode;
  readonly dataDir: string;
  readonly data: Listener;
  readonly admin: Listener;
  /** Certificate and key files; null means the generated development certificate. */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | null;
  readonly databaseUrl: Secret | null;
  readonly redisUrl: Secret | null;
  /** Prefix of every Redis key and channel, so deployments can share one Redis. */
  readonly redisKeyPrefix: string;
  readonly pepper: Secret;
  readonly keyring: Keyring;
  readonly adminToken: Secret | null;
  readonly keyPrefix: string;
  readonly logLevel: LogLevel;
  /** How long a verified credential may be served from memory when no change was announced. */
  readonly credentialCacheTtlMs: number;
  /** How many verified secrets the data path keeps in memory. */
  readonly credentialCacheMaxEntries: number;
  /** How long a secret the database did not know is answered "unknown" without asking again. */
  readonly negativeCacheTtlMs: number;
}

/** What a feature's configuration reader is given besides the environment. */
export interface SectionContext {
  /** The directory relative paths are resolved from. */
  readonly cwd: string;
  readonly production: boolean;
}

/** Reads one feature's section of the configuration, recording problems on `read`. */
export type SectionReader<T> = (read: EnvReader, context: SectionContext) => T;

/** One reader per section, keyed by the section's name in the loaded config. */
export type SectionReaders<S> = { readonly [K in keyof S]: SectionReader<S[K]> };

export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Gatehouse cannot start; fix the configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const MIN_SECRET_LENGTH = 32;

/** What each loaded config was read from, kept off the object so it is never logged with it. */
const sources = new WeakMap<BaseConfig, ConfigSource>();

export interface ConfigSource {
  readonly env: Env;
  readonly cwd: string;
}

/** The environment a config was loaded from, so another thread can load the same one (`loadConfig`). */
export function configSource(config: BaseConfig): ConfigSource {
  const source = sources.get(config);
  if (source === undefined) throw new Error('this config was not made by loadConfigWith');
  return source;
}

/**
 * Reads and validates the environment, with each feature's section read by its reader (in the
 * order given); throws a `ConfigError` naming every bad variable.
 */
export function loadConfigWith<S extends object>(
  env: Env,
  cwd: string,
  readers: SectionReaders<S>,
): BaseConfig & Readonly<S> {
  const read = new EnvReader(env);
  const mode = read.oneOf<Mode>('GATEHOUSE_ENV', ['development', 'production'], 'development');
  const production = mode === 'production';
  const dataDir = resolve(cwd, read.string('GATEHOUSE_DATA_DIR', './data'));

  const certFile = read.optionalString('GATEHOUSE_TLS_CERT_FILE');
  const keyFile = read.optionalString('GATEHOUSE_TLS_KEY_FILE');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    read.problem('set GATEHOUSE_TLS_CERT_FILE and GATEHOUSE_TLS_KEY_FILE together');
  }
  if (production && certFile === undefined) {
    read.problem(
      'production mode needs a TLS certificate: set GATEHOUSE_TLS_CERT_FILE and GATEHOUSE_TLS_KEY_FILE',
    );
  }

  const keyPrefix = read.string('GATEHOUSE_KEY_PREFIX', 'gate');
  if (!isValidPrefix(keyPrefix)) {
    read.problem('GATEHOUSE_KEY_PREFIX must be 2-16 lower-case letters or digits, starting with a letter');
  }

  let pepper = read.secret('GATEHOUSE_PEPPER');
  let encryptionKeys = read.secret('GATEHOUSE_ENCRYPTION_KEYS');
  const adminToken = read.secret('GATEHOUSE_ADMIN_TOKEN');
  for (const [name, value] of [
    ['GATEHOUSE_PEPPER', pepper],
    ['GATEHOUSE_ADMIN_TOKEN', adminToken],
  ] as const) {
    if (value === undefined) continue;
    if (value.reveal().length < MIN_SECRET_LENGTH)
      read.problem(`${name} must be at least ${MIN_SECRET_LENGTH} characters`);
    else if (production && looksLikePlaceholder(value.reveal()))
      read.problem(`${name} looks like a placeholder; generate a random value`);
  }
  if (production) {
    if (pepper === undefined)
      read.problem(
        'production mode needs GATEHOUSE_PEPPER (or GATEHOUSE_PEPPER_FILE): 32+ random characters',
      );
    if (encryptionKeys === undefined) {
      read.problem(
        'production mode needs GATEHOUSE_ENCRYPTION_KEYS (or _FILE): "1:<base64 of 32 random bytes>"',
      );
    }
  }

  const data = {
    host: read.string('GATEHOUSE_HOST', '0.0.0.0'),
    port: read.integer('GATEHOUSE_PORT', 8443, 0, 65535),
  };
  const admin = {
    host: read.string('GATEHOUSE_ADMIN_HOST', '127.0.0.1'),
    port: read.integer('GATEHOUSE_ADMIN_PORT', 9443, 0, 65535),
  };
  const logLevel = read.oneOf<LogLevel>(
    'GATEHOUSE_LOG_LEVEL',
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    'info',
  );
  const credentialCacheTtlMs = read.integer('GATEHOUSE_CREDENTIAL_CACHE_TTL_MS', 300_000, 0, 3_600_000);
  const credentialCacheMaxEntries = read.integer(
    'GATEHOUSE_CREDENTIAL_CACHE_MAX_ENTRIES',
    1_000_000,
    1,
    10_000_000,
  );
  const negativeCacheTtlMs = read.integer('GATEHOUSE_NEGATIVE_CACHE_TTL_MS', 60_000, 0, 3_600_000);
  const databaseUrl = read.secret('GATEHOUSE_DATABASE_URL') ?? null;
  const redisUrl = read.secret('GATEHOUSE_REDIS_URL') ?? null;
  const redisKeyPrefix = read.string('GATEHOUSE_REDIS_KEY_PREFIX', 'gatehouse');
  const sections = Object.fromEntries(
    Object.entries<SectionReader<unknown>>(readers).map(([name, reader]) => [
      name,
      reader(read, { cwd, production }),
    ]),
  ) as S;

  if (read.problems.length > 0) throw new ConfigError(read.problems);

  if (!production && (pepper === undefined || encryptionKeys === undefined)) {
    const generated = loadDevelopmentSecrets(dataDir);
    pepper ??= generated.pepper;
    encryptionKeys ??= generated.encryptionKeys;
  }
  const keyring = parseEncryptionKeys(encryptionKeys as Secret, read);
  if (read.problems.length > 0 || keyring === undefined) throw new ConfigError(read.problems);

  const config: BaseConfig & Readonly<S> = Object.freeze({
    mode,
    dataDir,
    data: Object.freeze(data),
    admin: Object.freeze(admin),
    tls: certFile !== undefined && keyFile !== undefined ? Object.freeze({ certFile, keyFile }) : null,
    databaseUrl,
    redisUrl,
    redisKeyPrefix,
    pepper: pepper as Secret,
    keyring,
    adminToken: adminToken ?? null,
    keyPrefix,
    logLevel,
    credentialCacheTtlMs,
    credentialCacheMaxEntries,
    negativeCacheTtlMs,
    ...sections,
  });
  sources.set(config, Object.freeze({ env: { ...env }, cwd }));
  return config;
}
