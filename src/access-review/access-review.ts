import type { AdminTokenService } from '../admin/admin-token-service.ts';
import type { IntegratorService } from '../integrators/integrator-service.ts';
import type { KeyStore } from '../keys/key-store.ts';
import type { ClientStore } from '../oauth/client-store.ts';
import type { UsageStore } from '../usage/usage-store.ts';

const DAY_MS = 86_400_000;
/** How many of a credential's most recently used addresses the report lists (it counts them all). */
export const RECENT_IPS_LISTED = 5;

/** One credential that can still be used, as a periodic access review walks through it (K9). */
export interface AccessReviewEntry {
  credential_type: 'api_key' | 'oauth_client';
  id: string;
  name: string;
  integrator_id: string;
  integrator_name: string;
  owner: string | null;
  environment: string;
  scopes: string[];
  status: 'active' | 'expired' | 'integrator_disabled';
  created_at: string;
  /** Days since the current secret was issued. */
  age_days: number;
  rotation_due: boolean;
  last_used_at: string | null;
  days_since_last_use: number | null;
  /** No use for the unused period (counted from creation when never used). */
  unused: boolean;
  ips_seen: number;
  /** The most recently used addresses, newest first, at most {@link RECENT_IPS_LISTED}. */
  recent_ips: string[];
}

/** An admin token that is not revoked: who may manage credentials, and with which role. */
export interface AccessReviewAdmin {
  id: string;
  name: string;
  role: string;
  source: string;
  status: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  days_since_last_use: number | null;
  unused: boolean;
}

export interface AccessReviewReport {
  generated_at: string;
  policy: { rotation_age_days: number; unused_after_days: number };
  data: AccessReviewEntry[];
  admin_tokens: AccessReviewAdmin[];
}

/** The rotation and unused periods the report judges by (the alerting rules' own, K4/K5). */
export interface AccessReviewPolicy {
  readonly rotationAgeMs: number;
  readonly unusedAfterMs: number;
}

/** What the report reads, each through the feature that owns it. */
export interface AccessReviewSources {
  readonly keys: { readonly store: Pick<KeyStore, 'unrevokedForReview'> };
  readonly clients: { readonly store: Pick<ClientStore, 'unrevokedForReview'> };
  readonly integrators: Pick<IntegratorService, 'get'>;
  readonly usage: Pick<UsageStore, 'addressSummaries'>;
  readonly adminTokens: Pick<AdminTokenService, 'list'>;
  readonly policy: AccessReviewPolicy;
}

interface ReviewRow {
  id: string;
  name: string;
  owner?: string | null;
  environment: string;
  scopes_json: string;
  expires_at?: number | null;
  last_used_at: number | null;
  integrator_id: string;
  created_at: number;
  issued_at: unknown;
}

/** Builds the access-review report: every usable credential and admin token with its use. */
export async function buildAccessReview(
  sources: AccessReviewSources,
  now = Date.now(),
): Promise<AccessReviewReport> {
  const { policy } = sources;
  const [keyRows, clientRows, addresses, tokens] = await Promise.all([
    sources.keys.store.unrevokedForReview(),
    sources.clients.store.unrevokedForReview(),
    sources.usage.addressSummaries(RECENT_IPS_LISTED),
    sources.adminTokens.list(),
  ]);
  const owners = new Map<string, { name: string; status: string }>();
  for (const id of new Set([...keyRows, ...clientRows].map((row) => row.integrator_id))) {
    owners.set(id, await sources.integrators.get(id));
  }
  const daysSince = (at: number) => Math.floor((now - at) / DAY_MS);
  const entry = (type: AccessReviewEntry['credential_type'], row: ReviewRow): AccessReviewEntry => {
    const owner = owners.get(row.integrator_id) as { name: string; status: string };
    const createdAt = Number(row.created_at);
    const issuedAt = Number(row.issued_at ?? createdAt);
    const lastUsedAt = row.last_used_at === null ? null : Number(row.last_used_at);
    const seen = addresses.get(row.id);
    return {
      credential_type: type,
      id: row.id,
      name: row.name,
      integrator_id: row.integrator_id,
      integrator_name: owner.name,
      owner: row.owner ?? null,
      environment: row.environment,
      scopes: JSON.parse(row.scopes_json) as string[],
      status:
        owner.status !== 'active'
          ? 'integrator_disabled'
          : row.expires_at != null && Number(row.expires_at) <= now
            ? 'expired'
            : 'active',
      created_at: new Date(createdAt).toISOString(),
      age_days: daysSince(issuedAt),
      rotation_due: now - issuedAt > policy.rotationAgeMs,
      last_used_at: lastUsedAt === null ? null : new Date(lastUsedAt).toISOString(),
      days_since_last_use: lastUsedAt === null ? null : daysSince(lastUsedAt),
      unused: now - (lastUsedAt ?? createdAt) > policy.unusedAfterMs,
      ips_seen: seen?.count ?? 0,
      recent_ips: seen?.recent.map((address) => address.ip) ?? [],
    };
  };
  const admin_tokens = tokens
    .filter((token) => token.status !== 'revoked')
    .map((token): AccessReviewAdmin => {
      const lastUsedAt = token.last_used_at === null ? null : Date.parse(token.last_used_at);
      return {
        id: token.id,
        name: token.name,
        role: token.role,
        source: token.source,
        status: token.status,
        created_at: token.created_at,
        expires_at: token.expires_at,
        last_used_at: token.last_used_at,
        days_since_last_use: lastUsedAt === null ? null : daysSince(lastUsedAt),
        unused: now - (lastUsedAt ?? Date.parse(token.created_at)) > policy.unusedAfterMs,
      };
    });
  return {
    generated_at: new Date(now).toISOString(),
    policy: {
      rotation_age_days: policy.rotationAgeMs / DAY_MS,
      unused_after_days: policy.unusedAfterMs / DAY_MS,
    },
    data: [
      ...keyRows.map((row) => entry('api_key', row)),
      ...clientRows.map((row) => entry('oauth_client', row)),
    ],
    admin_tokens,
  };
}
