import type { CompiledQuery, Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';
import { createIpAllowlist, type IpAllowlist } from '../net/ip-allowlist.ts';
import { type Environment, type RateLimit, REFILL_INTERVAL_MS, type RefillInterval } from './api-key.ts';
import type { VerifiedCredential, VerifyResult } from './verify-result.ts';

/** What the cache holds for one secret: everything a check needs, nothing secret. */
export interface KnownSecret {
  readonly secretExpiresAt: number | null;
  readonly credential: VerifiedCredential;
  /** The success answer for this key, built once: a cached key allocates nothing per request. */
  readonly verified: VerifyResult;
  readonly keyExpiresAt: number | null;
  readonly revoked: boolean;
  readonly integratorActive: boolean;
  readonly allowlist: IpAllowlist;
  readonly usage: {
    refillAmount: number | null;
    refillIntervalMs: number | null;
    refilledAt: number | null;
  } | null;
  /** When this secret's use was last handed to the last-use writer (0: not yet). */
  lastUseRecordedAt: number;
}

/** The row a secret is looked up as. */
export interface KnownSecretRow {
  readonly secret_expires_at: number | null;
  readonly id: string;
  readonly integrator_id: string;
  readonly environment: string;
  readonly scopes_json: string;
  readonly allowed_ips_json: string;
  readonly expires_at: number | null;
  readonly revoked_at: number | null;
  readonly rate_limit_json: string | null;
  readonly usage_remaining: number | null;
  readonly usage_refill_amount: number | null;
  readonly usage_refill_interval: string | null;
  readonly usage_refilled_at: number | null;
  readonly integrator_status: string;
}

/**
 * The lookup of a secret by its stored hash, built by Kysely once: on a miss only its parameter
 * changes, so no query is built per request (building it was 15% of a many-keys profile).
 */
export function compileSecretLookup(
  db: Kysely<Schema>,
): (secretHash: string) => CompiledQuery<KnownSecretRow> {
  const compiled = db
    .selectFrom('api_key_secrets as s')
    .innerJoin('api_keys as k', 'k.id', 's.key_id')
    .innerJoin('integrators as i', 'i.id', 'k.integrator_id')
    .select([
      's.expires_at as secret_expires_at',
      'k.id',
      'k.integrator_id',
      'k.environment',
      'k.scopes_json',
      'k.allowed_ips_json',
      'k.expires_at',
      'k.revoked_at',
      'k.rate_limit_json',
      'k.usage_remaining',
      'k.usage_refill_amount',
      'k.usage_refill_interval',
      'k.usage_refilled_at',
      'i.status as integrator_status',
    ])
    .where('s.secret_hash', '=', '')
    .compile();
  return (secretHash) => ({ ...compiled, parameters: [secretHash] });
}

// Many keys share an integrator and a scope list: one copy of each serves them all (bounded).
const shared = new Map<string, unknown>();
function sharedCopy<T>(text: string, make: () => T): T {
  const found = shared.get(text);
  if (found !== undefined) return found as T;
  const made = make();
  if (shared.size < 10_000) shared.set(text, made);
  return made;
}

/** What the cache keeps of a looked-up row. */
export function knownSecretOf(row: KnownSecretRow): KnownSecret {
  const credential: VerifiedCredential = Object.freeze({
    kind: 'api_key',
    id: row.id,
    integratorId: sharedCopy(row.integrator_id, () => row.integrator_id),
    environment: row.environment as Environment,
    scopes: sharedCopy(`scopes:${row.scopes_json}`, () =>
      Object.freeze(JSON.parse(row.scopes_json) as string[]),
    ),
    rateLimit: row.rate_limit_json === null ? null : (JSON.parse(row.rate_limit_json) as RateLimit),
  });
  return {
    secretExpiresAt: row.secret_expires_at,
    credential,
    verified: Object.freeze({ ok: true, credential }),
    keyExpiresAt: row.expires_at,
    revoked: row.revoked_at !== null,
    integratorActive: row.integrator_status === 'active',
    allowlist: createIpAllowlist(JSON.parse(row.allowed_ips_json) as string[]),
    usage:
      row.usage_remaining === null
        ? null
        : {
            refillAmount: row.usage_refill_amount,
            refillIntervalMs:
              row.usage_refill_interval === null
                ? null
                : REFILL_INTERVAL_MS[row.usage_refill_interval as RefillInterval],
            refilledAt: row.usage_refilled_at,
          },
    lastUseRecordedAt: 0,
  };
}
