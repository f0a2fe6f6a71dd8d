import type { Environment } from '../environments/environment.ts';
import { activeSecrets, type SecretSummary } from '../keys/api-key.ts';
import type { RateLimit } from '../rate-limit/rate-limiter.ts';
import type { OAuthClientSecretTable, OAuthClientTable } from './oauth-schema.ts';

export const DEFAULT_TOKEN_TTL_SECONDS = 3600;
/** The longest lifetime a client may configure; retired signing keys stay published this long. */
export const MAX_TOKEN_TTL_SECONDS = 86_400;

/** Client secret markers: `<prefix>_cslive_…` (production) and `<prefix>_cstest_…` (sandbox). */
export const CLIENT_SECRET_MARKER: Readonly<Record<Environment, string>> = {
  production: 'cslive',
  sandbox: 'cstest',
};

/** The writable fields of a client: what PUT replaces. */
export interface ClientInput {
  name: string;
  scopes: string[];
  allowed_ips: string[];
  token_ttl_seconds: number;
  metadata: Record<string, unknown>;
  rate_limit: RateLimit | null;
}

export interface CreateClientInput extends Partial<ClientInput> {
  integrator_id: string;
  name: string;
  environment: Environment;
}

/** An OAuth client (K6) as the admin API shows it: never the secret, never its hash. */
export interface OAuthClient extends ClientInput {
  id: string;
  /** The public identifier a client sends to the token endpoint (the same value as `id`). */
  client_id: string;
  integrator_id: string;
  environment: Environment;
  status: 'active' | 'revoked';
  secrets: SecretSummary[];
  revoked_at: string | null;
  last_used_at: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}

/** Fixed at creation; a PUT may echo them back unchanged. */
export const IMMUTABLE_CLIENT_FIELDS = [
  'id',
  'client_id',
  'integrator_id',
  'environment',
  'created_at',
] as const;

export function toOAuthClient(
  row: OAuthClientTable,
  secrets: readonly OAuthClientSecretTable[],
  now = Date.now(),
): OAuthClient {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: row.id,
    client_id: row.id,
    integrator_id: row.integrator_id,
    name: row.name,
    environment: row.environment as Environment,
    scopes: JSON.parse(row.scopes_json) as string[],
    allowed_ips: JSON.parse(row.allowed_ips_json) as string[],
    token_ttl_seconds: row.token_ttl_seconds,
    metadata: JSON.parse(row.metadata_json) as Record<string, unknown>,
    rate_limit: row.rate_limit_json === null ? null : (JSON.parse(row.rate_limit_json) as RateLimit),
    status: row.revoked_at === null ? 'active' : 'revoked',
    secrets: row.revoked_at !== null ? [] : activeSecrets(secrets, now),
    revoked_at: iso(row.revoked_at),
    last_used_at: iso(row.last_used_at),
    version: row.version,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

export function clientColumns(input: ClientInput) {
  return {
    name: input.name,
    scopes_json: JSON.stringify(input.scopes),
    allowed_ips_json: JSON.stringify(input.allowed_ips),
    token_ttl_seconds: input.token_ttl_seconds,
    metadata_json: JSON.stringify(input.metadata),
    rate_limit_json: input.rate_limit === null ? null : JSON.stringify(input.rate_limit),
  };
}
