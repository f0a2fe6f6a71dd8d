import type { Environment } from '../environments/environment.ts';
import type { RateLimit } from '../rate-limit/rate-limiter.ts';
import type { ApiKeySecretTable, ApiKeyTable } from './key-schema.ts';

// Kept for the files another wave-2 change rewrites; new code imports the homes directly.
export type { Environment } from '../environments/environment.ts';
export { ENVIRONMENT_MARKER, MARKER_ENVIRONMENT } from '../environments/environment.ts';
export type { RateLimit } from '../rate-limit/rate-limiter.ts';

export type RefillInterval = 'hour' | 'day' | 'week' | 'month';

export const REFILL_INTERVAL_MS: Readonly<Record<RefillInterval, number>> = {
  hour: 3600_000,
  day: 86_400_000,
  week: 7 * 86_400_000,
  month: 30 * 86_400_000,
};

export interface UsageLimit {
  remaining: number;
  refill: { amount: number; interval: RefillInterval } | null;
}

/** The writable fields of a key: what PUT replaces. */
export interface KeyInput {
  name: string;
  owner: string | null;
  scopes: string[];
  allowed_ips: string[];
  expires_at: string | null;
  metadata: Record<string, unknown>;
  usage_limit: UsageLimit | null;
  rate_limit: RateLimit | null;
}

export interface CreateKeyInput extends Partial<KeyInput> {
  integrator_id: string;
  name: string;
  environment: Environment;
}

/** An API key as the admin API shows it: never the secret, never its hash. */
export interface ApiKey extends KeyInput {
  id: string;
  integrator_id: string;
  environment: Environment;
  status: 'active' | 'revoked' | 'expired';
  /** The secrets that currently verify: one, or two during a rotation's overlap. */
  secrets: SecretSummary[];
  revoked_at: string | null;
  revoked_reason: string | null;
  last_used_at: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}

/**
 * Fields fixed at creation: a PUT may echo them back but never change them. The other read-only
 * fields (status, secrets, version, timestamps) are state the server keeps and a PUT ignores.
 */
export const IMMUTABLE_KEY_FIELDS = ['id', 'integrator_id', 'environment', 'created_at'] as const;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export interface SecretSummary {
  id: string;
  hint: string;
  created_at: string;
  expires_at: string | null;
}

/** The secrets that still verify at `now`, as the API shows them (hint only). */
export function activeSecrets(
  secrets: readonly { id: string; hint: string; created_at: number; expires_at: number | null }[],
  now: number,
): SecretSummary[] {
  return secrets
    .filter((s) => s.expires_at === null || s.expires_at > now)
    .map((s) => ({
      id: s.id,
      hint: s.hint,
      created_at: new Date(s.created_at).toISOString(),
      expires_at: iso(s.expires_at),
    }));
}

export function toApiKey(row: ApiKeyTable, secrets: readonly ApiKeySecretTable[], now = Date.now()): ApiKey {
  return {
    id: row.id,
    integrator_id: row.integrator_id,
    name: row.name,
    owner: row.owner,
    environment: row.environment as Environment,
    scopes: JSON.parse(row.scopes_json) as string[],
    allowed_ips: JSON.parse(row.allowed_ips_json) as string[],
    expires_at: iso(row.expires_at),
    metadata: JSON.parse(row.metadata_json) as Record<string, unknown>,
    usage_limit:
      row.usage_remaining === null
        ? null
        : {
            remaining: row.usage_remaining,
            refill:
              row.usage_refill_amount === null
                ? null
                : { amount: row.usage_refill_amount, interval: row.usage_refill_interval as RefillInterval },
          },
    rate_limit: row.rate_limit_json === null ? null : (JSON.parse(row.rate_limit_json) as RateLimit),
    status:
      row.revoked_at !== null
        ? 'revoked'
        : row.expires_at !== null && row.expires_at <= now
          ? 'expired'
          : 'active',
    secrets: row.revoked_at !== null ? [] : activeSecrets(secrets, now),
    revoked_at: iso(row.revoked_at),
    revoked_reason: row.revoked_reason,
    last_used_at: iso(row.last_used_at),
    version: row.version,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

/** The columns that hold a key's writable fields. */
export function inputColumns(input: KeyInput, now: number) {
  return {
    name: input.name,
    owner: input.owner,
    scopes_json: JSON.stringify(input.scopes),
    allowed_ips_json: JSON.stringify(input.allowed_ips),
    expires_at: input.expires_at === null ? null : Date.parse(input.expires_at),
    metadata_json: JSON.stringify(input.metadata),
    usage_remaining: input.usage_limit?.remaining ?? null,
    usage_refill_amount: input.usage_limit?.refill?.amount ?? null,
    usage_refill_interval: input.usage_limit?.refill?.interval ?? null,
    usage_refilled_at: input.usage_limit?.refill ? now : null,
    rate_limit_json: input.rate_limit === null ? null : JSON.stringify(input.rate_limit),
  };
}
