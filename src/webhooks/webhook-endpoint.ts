import type { Environment } from '../environments/environment.ts';
import type { SigningScheme } from './signing-secret.ts';
import type { WebhookEndpointSecretTable, WebhookEndpointTable } from './webhook-schema.ts';

/** Why an endpoint is disabled: by an admin, by the receiver (410 Gone), or for failing too long. */
export type DisabledReason = 'disabled_by_admin' | 'gone' | 'failing';

/** The writable fields of an endpoint: what PUT replaces. */
export interface EndpointInput {
  url: string;
  description: string;
  event_types: string[];
  enabled: boolean;
  signature_header: string | null;
  metadata: Record<string, unknown>;
}

export interface CreateEndpointInput extends Partial<EndpointInput> {
  integrator_id: string;
  environment: Environment;
  url: string;
  event_types: string[];
  signing_scheme?: SigningScheme;
}

/** An endpoint as the admin API shows it: never a secret or private key. */
export interface WebhookEndpoint extends EndpointInput {
  id: string;
  integrator_id: string;
  environment: Environment;
  signing_scheme: SigningScheme;
  /** The newest Ed25519 public key (`whpk_…`) receivers verify with; null for HMAC schemes. */
  public_key: string | null;
  /** The secrets that currently sign: one, or several during a rotation's overlap. */
  secrets: {
    id: string;
    hint: string;
    public_key: string | null;
    created_at: string;
    expires_at: string | null;
  }[];
  disabled_reason: DisabledReason | null;
  failing_since: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}

export const IMMUTABLE_ENDPOINT_FIELDS = [
  'id',
  'integrator_id',
  'environment',
  'signing_scheme',
  'created_at',
] as const;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Whether a secret still signs at `now`. */
export function secretActive(secret: Pick<WebhookEndpointSecretTable, 'expires_at'>, now: number): boolean {
  return secret.expires_at === null || secret.expires_at > now;
}

export function toWebhookEndpoint(
  row: WebhookEndpointTable,
  secrets: readonly WebhookEndpointSecretTable[],
  now = Date.now(),
): WebhookEndpoint {
  const active = secrets
    .filter((secret) => secretActive(secret, now))
    .sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? 1 : -1));
  return {
    id: row.id,
    integrator_id: row.integrator_id,
    environment: row.environment as Environment,
    url: row.url,
    description: row.description,
    event_types: JSON.parse(row.event_types_json) as string[],
    enabled: row.enabled === 1,
    signing_scheme: row.signing_scheme as SigningScheme,
    signature_header: row.signature_header,
    public_key: active[0]?.public_key ?? null,
    secrets: active.map((secret) => ({
      id: secret.id,
      hint: secret.hint,
      public_key: secret.public_key,
      created_at: new Date(secret.created_at).toISOString(),
      expires_at: iso(secret.expires_at),
    })),
    disabled_reason: row.disabled_reason as DisabledReason | null,
    failing_since: iso(row.failing_since),
    metadata: JSON.parse(row.metadata_json) as Record<string, unknown>,
    version: row.version,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

/** The sealing context of a secret: binds the ciphertext to its row and endpoint. */
export function secretContext(secretId: string, endpointId: string): string {
  return `webhook_endpoint_secret:${endpointId}:${secretId}`;
}
