import { hash } from 'node:crypto';
import type { CompiledQuery, Kysely } from 'kysely';
import type { Logger } from 'pino';
import { parseCredential } from '../crypto/key-format.ts';
import type { KeyedHasher } from '../crypto/keyed-hash.ts';
import { LastUseBatcher } from '../db/last-use-batcher.ts';
import type { Schema } from '../db/schema.ts';
import type { ChangeBus } from '../events/change-bus.ts';
import { type Environment, MARKER_ENVIRONMENT } from './api-key.ts';
import { CredentialCache, type CredentialCacheLimits } from './credential-cache.ts';
import { writeKeyLastUse } from './key-last-use.ts';
import { compileSecretLookup, type KnownSecret, type KnownSecretRow, knownSecretOf } from './known-secret.ts';
import { consumeUse } from './usage-cap.ts';
import type { VerifyFailureReason, VerifyResult } from './verify-result.ts';

/** A key's last use is written at most this often (K4 reports it in days, not seconds). */
const LAST_USE_INTERVAL_MS = 60_000;

export type { VerifiedCredential, VerifyFailureReason, VerifyResult } from './verify-result.ts';

export interface VerifyOptions {
  /** The client address, checked against the key's allowlist. */
  readonly ip: string;
  /** The environment the caller serves; a key of another environment is refused. */
  readonly environment?: Environment;
}

/**
 * Verifies presented API keys on the request path. The checksum rejects typos without I/O; known
 * secrets are served from memory until a change is announced (on the bus, or by the change
 * generation other instances bump) or the long TTL passes; unknown ones from a separate bounded
 * negative cache, so each distinct unknown secret costs one lookup per negative-cache lifetime.
 */
export class CredentialVerifier {
  readonly #db: Kysely<Schema>;
  readonly #hasher: KeyedHasher;
  readonly #keyPrefix: string;
  readonly #cache: CredentialCache<KnownSecret>;
  readonly #lookup: (secretHash: string) => CompiledQuery<KnownSecretRow>;
  readonly #loading = new Map<string, Promise<KnownSecret | null>>();
  readonly #lastUse: LastUseBatcher;
  #lookups = 0;

  constructor(deps: {
    db: Kysely<Schema>;
    hasher: KeyedHasher;
    keyPrefix: string;
    changes: ChangeBus;
    cache?: Partial<CredentialCacheLimits>;
    logger: Logger;
    /** How often gathered last-use times are written (default 1 s). */
    lastUseFlushMs?: number;
  }) {
    this.#db = deps.db;
    this.#hasher = deps.hasher;
    this.#keyPrefix = deps.keyPrefix;
    this.#cache = new CredentialCache(deps.cache);
    this.#lookup = compileSecretLookup(deps.db);
    this.#lastUse = new LastUseBatcher({
      write: (batch) => writeKeyLastUse(deps.db, batch),
      onError: (error) => deps.logger.warn({ err: error }, 'could not record last use of keys'),
      ...(deps.lastUseFlushMs === undefined ? {} : { flushIntervalMs: deps.lastUseFlushMs }),
    });
    deps.changes.subscribe((topic) => {
      if (topic === 'credentials') this.#cache.clear();
    });
  }

  async verify(presented: string, options: VerifyOptions, now = Date.now()): Promise<VerifyResult> {
    const lookup = lookupKey(presented);
    let known = this.#cache.get(lookup, now);
    if (known === undefined) {
      // Only well-formed keys of this deployment are ever cached, so a hit needs no parsing.
      const parsed = parseCredential(presented);
      if (!parsed.ok || parsed.credential.prefix !== this.#keyPrefix) return MALFORMED;
      if (MARKER_ENVIRONMENT[parsed.credential.marker] === undefined) return MALFORMED;
      const generation = this.#cache.generation;
      known = await this.#load(lookup, presented);
      this.#cache.set(lookup, known, now, generation);
    }
    if (known === null) return UNKNOWN;
    const refusal = refusalOf(known, options, now);
    if (refusal !== null) return refusal;
    if (known.usage !== null && !(await consumeUse(this.#db, known.credential.id, known.usage, now)))
      return failure(known, 'usage_exhausted');
    this.#touch(known, now);
    return known.verified;
  }

  /**
   * The same answer as `verify`, synchronously, when memory alone can give it: the secret is cached
   * and the key has no usage cap (a cap is consumed in the database). `null` means: call `verify`.
   * The gateway asks this first, so a known key costs no promise on the request path.
   */
  verifyCached(presented: string, options: VerifyOptions, now = Date.now()): VerifyResult | null {
    const known = this.#cache.get(lookupKey(presented), now);
    if (known === undefined) return null;
    if (known === null) return UNKNOWN;
    const refusal = refusalOf(known, options, now);
    if (refusal !== null) return refusal;
    if (known.usage !== null) return null;
    this.#touch(known, now);
    return known.verified;
  }

  /** Database lookups so far (misses that reached the database; concurrent ones for a secret count once). */
  get lookups(): number {
    return this.#lookups;
  }

  /** Writes the last-use times gathered so far; resolves once written. */
  flushLastUse(): Promise<void> {
    return this.#lastUse.flush();
  }

  /** Stops the last-use writer after writing what it holds (call before the database closes). */
  close(): Promise<void> {
    return this.#lastUse.close();
  }

  /** Hands a use to the batch writer at most once per interval per secret: a field compare per request. */
  #touch(known: KnownSecret, now: number): void {
    if (now - known.lastUseRecordedAt < LAST_USE_INTERVAL_MS) return;
    known.lastUseRecordedAt = now;
    this.#lastUse.record(known.credential.id, now);
  }

  async #load(lookup: string, presented: string): Promise<KnownSecret | null> {
    const loading = this.#loading.get(lookup);
    if (loading !== undefined) return loading;
    this.#lookups++;
    const load = this.#db
      .executeQuery(this.#lookup(this.#hasher.hash(presented)))
      .then(({ rows }) => (rows[0] === undefined ? null : knownSecretOf(rows[0])))
      .finally(() => this.#loading.delete(lookup));
    this.#loading.set(lookup, load);
    return load;
  }
}

const MALFORMED: VerifyResult = Object.freeze({ ok: false, reason: 'malformed' });
const UNKNOWN: VerifyResult = Object.freeze({ ok: false, reason: 'unknown' });

/**
 * The cache key of a presented secret: a one-shot SHA-256 rather than its HMAC. Creating an HMAC
 * costs ~4.7 µs per call against ~0.9 µs (Node 24 here), and it was the largest single item in
 * gateway CPU profiles. A key holds 256 random bits, so its SHA-256 identifies it as surely and
 * reveals no more than the HMAC; like the database lookup by stored hash, it is an equality lookup
 * on a digest, never a comparison of secrets. The keyed HMAC is computed only on a miss.
 */
function lookupKey(presented: string): string {
  return hash('sha256', presented, 'base64url');
}

function failure(known: KnownSecret, reason: VerifyFailureReason): VerifyResult {
  return {
    ok: false,
    reason,
    credentialId: known.credential.id,
    integratorId: known.credential.integratorId,
  };
}

/** Why a known key is refused here and now, or null when it may be used (usage cap aside). */
function refusalOf(known: KnownSecret, options: VerifyOptions, now: number): VerifyResult | null {
  if (known.revoked) return failure(known, 'revoked');
  if (!known.integratorActive) return failure(known, 'integrator_disabled');
  if (
    (known.keyExpiresAt !== null && known.keyExpiresAt <= now) ||
    (known.secretExpiresAt !== null && known.secretExpiresAt <= now)
  )
    return failure(known, 'expired');
  if (options.environment !== undefined && options.environment !== known.credential.environment)
    return failure(known, 'wrong_environment');
  if (!known.allowlist.allows(options.ip)) return failure(known, 'ip_not_allowed');
  return null;
}
