import type { Kysely } from 'kysely';
import type { AuditContext, AuditLog } from '../audit/audit-log.ts';
import { changeTransaction } from '../audit/change-transaction.ts';
import { type RotatingCredential, RotatingSecrets } from '../credentials/rotating-secrets.ts';
import type { Envelope } from '../crypto/envelope.ts';
import type { Schema } from '../db/schema.ts';
import { uuid7 } from '../db/uuid7.ts';
import { ApiError, type FieldError, invalidRequest, notFound } from '../http/api-error.ts';
import type { Page } from '../http/pagination.ts';
import { MAX_METADATA_BYTES } from '../http/schemas.ts';
import { requireActiveIntegrator } from '../integrators/require-active-integrator.ts';
import type { SecurityEvents } from '../monitor/security-events.ts';
import { DEFAULT_SIMPLE_HEADER } from './delivery-signer.ts';
import { type EndpointListFilter, EndpointStore } from './endpoint-store.ts';
import { checkEndpointUrl, type ResolveAll } from './endpoint-url.ts';
import type { EventCatalog } from './event-catalog.ts';
import { generateSigningSecret, type SigningScheme } from './signing-secret.ts';
import {
  type CreateEndpointInput,
  type DisabledReason,
  type EndpointInput,
  secretContext,
  toWebhookEndpoint,
  type WebhookEndpoint,
} from './webhook-endpoint.ts';

export interface EndpointServiceDeps {
  readonly db: Kysely<Schema>;
  readonly audit: AuditLog;
  readonly envelope: Envelope;
  readonly catalog: EventCatalog;
  readonly securityEvents: SecurityEvents;
  readonly allowPrivateAddresses: boolean;
  readonly resolve?: ResolveAll;
  /** The endpoints' SQL; by default one over `db`. */
  readonly store?: EndpointStore;
}

export type { EndpointListFilter } from './endpoint-store.ts';

/** An endpoint with its new secret: `whsec_…` for HMAC schemes, null for Ed25519 (see `public_key`). */
export interface IssuedEndpoint {
  endpoint: WebhookEndpoint;
  secret: string | null;
}

export { DEFAULT_OVERLAP_SECONDS as DEFAULT_SECRET_OVERLAP_SECONDS } from '../credentials/rotating-secrets.ts';

const RESERVED_HEADERS = new Set([
  'authorization',
  'connection',
  'content-length',
  'content-type',
  'cookie',
  'expect',
  'host',
  'keep-alive',
  'proxy-authorization',
  'te',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'webhook-id',
  'webhook-signature',
  'webhook-timestamp',
]);

const SYSTEM_ACTOR: AuditContext = { actor: { type: 'system', id: null, name: 'webhook delivery' } };

/**
 * Webhook endpoints (W1, W2, W4, W5, K0): each belongs to one integrator and one environment, has its
 * own signing secret (sealed at rest, shown once) and is checked against the SSRF rules whenever its
 * URL is set. Every change is audited in its transaction.
 */
export class EndpointService implements RotatingCredential<WebhookEndpoint, IssuedEndpoint> {
  readonly kind = 'webhook_endpoint';
  readonly store: EndpointStore;
  readonly #deps: EndpointServiceDeps;
  readonly #secrets: RotatingSecrets<WebhookEndpoint>;

  constructor(deps: EndpointServiceDeps) {
    this.#deps = deps;
    const store = deps.store ?? new EndpointStore(deps.db);
    this.store = store;
    this.#secrets = new RotatingSecrets<WebhookEndpoint>(deps.db, deps.audit, {
      target: 'webhook_endpoint',
      // Endpoints are disabled, never revoked: every endpoint can get a new secret.
      notRotatable: () => new Error('unreachable'),
      load: (db, id, now) => this.#load(db, id, now),
      expireLiveSecrets: (db, id, until) => store.expireLiveSecrets(id, until, db),
      issueSecret: (db, endpoint, now) => this.#insertSecret(db, endpoint.id, endpoint.signing_scheme, now),
      update: (db, before, columns) => store.update(before, columns, db),
    });
  }

  async create(input: CreateEndpointInput, context: AuditContext): Promise<IssuedEndpoint> {
    const scheme: SigningScheme = input.signing_scheme ?? 'standard';
    const full: EndpointInput = {
      url: input.url,
      description: input.description ?? '',
      event_types: input.event_types,
      enabled: input.enabled ?? true,
      signature_header: input.signature_header ?? (scheme === 'simple' ? DEFAULT_SIMPLE_HEADER : null),
      metadata: input.metadata ?? {},
    };
    await this.#assertValid(full, scheme);
    const now = Date.now();
    const id = uuid7(now);
    const issued = await changeTransaction(this.#deps.db, context, async (trx) => {
      await requireActiveIntegrator(trx, input.integrator_id);
      await this.store.insert(
        {
          id,
          integrator_id: input.integrator_id,
          environment: input.environment,
          ...inputColumns(full),
          enabled: full.enabled ? 1 : 0,
          disabled_reason: full.enabled ? null : 'disabled_by_admin',
          signing_scheme: scheme,
          failing_since: null,
          version: 1,
          created_at: now,
          updated_at: now,
        },
        trx,
      );
      const secret = await this.#insertSecret(trx, id, scheme, now);
      const endpoint = await this.#load(trx, id, now);
      await this.#deps.audit.append(trx, {
        ...context,
        action: 'webhook_endpoint.create',
        target: { type: 'webhook_endpoint', id },
        after: endpoint,
      });
      return { endpoint, secret };
    });
    return issued;
  }

  async get(id: string): Promise<WebhookEndpoint> {
    return this.#load(this.#deps.db, id, Date.now());
  }

  async list(
    filter: EndpointListFilter,
    limit: number,
    cursor: string | undefined,
  ): Promise<Page<WebhookEndpoint>> {
    const now = Date.now();
    return this.store.list(filter, limit, cursor, (row, secrets) => toWebhookEndpoint(row, secrets, now));
  }

  /** Replaces every writable field (C4); a new URL passes the SSRF rules again. */
  async replace(
    id: string,
    input: EndpointInput,
    expectedVersion: number | undefined,
    context: AuditContext,
  ): Promise<WebhookEndpoint> {
    const current = await this.get(id);
    await this.#assertValid(input, current.signing_scheme);
    const now = Date.now();
    return this.#secrets.change(id, {
      now,
      action: (before) =>
        before.enabled === input.enabled
          ? 'webhook_endpoint.update'
          : `webhook_endpoint.${input.enabled ? 'enable' : 'disable'}`,
      context,
      expectedVersion,
      apply: (trx, before) =>
        this.store.update(
          before,
          {
            ...inputColumns(input),
            enabled: input.enabled ? 1 : 0,
            disabled_reason: input.enabled ? null : (before.disabled_reason ?? 'disabled_by_admin'),
            ...(input.enabled && !before.enabled ? { failing_since: null } : {}),
            updated_at: now,
          },
          trx,
        ),
    });
  }

  /**
   * Issues a new signing secret at once; the active ones keep signing until `overlapSeconds` from now
   * (never longer than they already would), so receivers can switch without missing a delivery (W4).
   */
  async rotate(id: string, overlapSeconds: number, context: AuditContext): Promise<IssuedEndpoint> {
    return this.#secrets.rotate(
      id,
      overlapSeconds,
      'webhook_endpoint.rotate_secret',
      context,
      (endpoint, secret) => ({ endpoint, secret }),
    );
  }

  /**
   * Disables an endpoint on the delivery engine's decision (410 Gone, or failing for too long),
   * audited as a system action, and records a security event so the owner is alerted (W3, L4).
   */
  async disableForDelivery(
    id: string,
    reason: Exclude<DisabledReason, 'disabled_by_admin'>,
    details: Record<string, unknown>,
  ): Promise<void> {
    const now = Date.now();
    let disabled = false;
    const after = await this.#secrets.change(id, {
      now,
      action: 'webhook_endpoint.disable',
      context: SYSTEM_ACTOR,
      apply: (trx, before) =>
        before.enabled
          ? this.store.update(before, { enabled: 0, disabled_reason: reason, updated_at: now }, trx)
          : Promise.resolve('unchanged' as const),
      recordAfter: (changed) => {
        disabled = true;
        return { ...changed, ...details };
      },
    });
    if (!disabled) return;
    await this.#deps.securityEvents.record({
      event: 'webhook_endpoint_disabled',
      source: 'webhooks',
      integratorId: after.integrator_id,
      details: { endpoint_id: id, reason, environment: after.environment, ...details },
    });
  }

  async #assertValid(input: EndpointInput, scheme: SigningScheme): Promise<void> {
    const errors: FieldError[] = [];
    if (scheme === 'simple') {
      const header = input.signature_header;
      if (header === null)
        errors.push({ field: '/signature_header', message: 'is required by the simple scheme' });
      else if (RESERVED_HEADERS.has(header.toLowerCase()))
        errors.push({ field: '/signature_header', message: 'is a header Gatehouse sets itself' });
    } else if (input.signature_header !== null) {
      errors.push({ field: '/signature_header', message: 'applies only to the simple scheme; send null' });
    }
    if (Buffer.byteLength(JSON.stringify(input.metadata)) > MAX_METADATA_BYTES) {
      errors.push({ field: '/metadata', message: `must serialize to at most ${MAX_METADATA_BYTES} bytes` });
    }
    errors.push(...(await this.#deps.catalog.unknownTypes(input.event_types, '/event_types')));
    if (errors.length > 0) throw invalidRequest(errors);
    const verdict = await checkEndpointUrl(input.url, {
      allowPrivate: this.#deps.allowPrivateAddresses,
      ...(this.#deps.resolve ? { resolve: this.#deps.resolve } : {}),
    });
    if (!verdict.ok) {
      const detail = 'Webhook endpoints must be public https:// URLs';
      throw new ApiError('url_not_allowed', verdict.hint ? `${detail}; ${verdict.hint}` : detail, {
        errors: [{ field: '/url', message: verdict.message }],
      });
    }
  }

  async #insertSecret(
    trx: Kysely<Schema>,
    endpointId: string,
    scheme: SigningScheme,
    now: number,
  ): Promise<string | null> {
    const generated = generateSigningSecret(scheme);
    const id = uuid7(now);
    const sealed = this.#deps.envelope.seal(generated.material, secretContext(id, endpointId));
    generated.material.fill(0);
    await this.store.insertSecret(
      {
        id,
        endpoint_id: endpointId,
        kind: generated.kind,
        secret_sealed: sealed,
        public_key: generated.publicKey,
        hint: generated.hint,
        created_at: now,
        expires_at: null,
      },
      trx,
    );
    return generated.secret;
  }

  async #load(db: Kysely<Schema>, id: string, now: number): Promise<WebhookEndpoint> {
    const found = await this.store.find(id, db);
    if (!found) throw notFound('Webhook endpoint');
    return toWebhookEndpoint(found.row, found.secrets, now);
  }
}

function inputColumns(input: EndpointInput) {
  return {
    url: input.url,
    description: input.description,
    event_types_json: JSON.stringify(input.event_types),
    signature_header: input.signature_header,
    metadata_json: JSON.stringify(input.metadata),
  };
}
