import type { Kysely } from 'kysely';
import type { AuditContext, AuditLog } from '../audit/audit-log.ts';
import { applyAuditedChange, updateVersioned } from '../audit/audited-change.ts';
import { changeTransaction } from '../audit/change-transaction.ts';
import type { Envelope } from '../crypto/envelope.ts';
import type { Schema } from '../db/schema.ts';
import { uuid7 } from '../db/uuid7.ts';
import { ApiError, type FieldError, invalidRequest, notFound } from '../http/api-error.ts';
import { decodeCursor, type Page, pageOf } from '../http/pagination.ts';
import { MAX_METADATA_BYTES } from '../http/schemas.ts';
import { requireActiveIntegrator } from '../integrators/require-active-integrator.ts';
import type { Environment } from '../keys/api-key.ts';
import type { SecurityEvents } from '../monitor/security-events.ts';
import { DEFAULT_SIMPLE_HEADER } from './delivery-signer.ts';
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
}

export interface EndpointListFilter {
  integratorId?: string | undefined;
  environment?: Environment | undefined;
  enabled?: boolean | undefined;
}

/** An endpoint with its new secret: `whsec_…` for HMAC schemes, null for Ed25519 (see `public_key`). */
export interface IssuedEndpoint {
  endpoint: WebhookEndpoint;
  secret: string | null;
}

export const DEFAULT_SECRET_OVERLAP_SECONDS = 24 * 3600;

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
export class EndpointService {
  readonly #deps: EndpointServiceDeps;

  constructor(deps: EndpointServiceDeps) {
    this.#deps = deps;
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
      await trx
        .insertInto('webhook_endpoints')
        .values({
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
        })
        .execute();
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
    let query = this.#deps.db
      .selectFrom('webhook_endpoints')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(limit + 1);
    if (cursor !== undefined) query = query.where('id', '<', decodeCursor<string>(cursor, 'string'));
    if (filter.integratorId !== undefined) query = query.where('integrator_id', '=', filter.integratorId);
    if (filter.environment !== undefined) query = query.where('environment', '=', filter.environment);
    if (filter.enabled !== undefined) query = query.where('enabled', '=', filter.enabled ? 1 : 0);
    const rows = await query.execute();
    const ids = rows.map((row) => row.id);
    const secrets =
      ids.length === 0
        ? []
        : await this.#deps.db
            .selectFrom('webhook_endpoint_secrets')
            .selectAll()
            .where('endpoint_id', 'in', ids)
            .execute();
    const now = Date.now();
    return pageOf(
      rows,
      limit,
      (row) =>
        toWebhookEndpoint(
          row,
          secrets.filter((secret) => secret.endpoint_id === row.id),
          now,
        ),
      (row) => row.id,
    );
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
    return applyAuditedChange<WebhookEndpoint>(this.#deps.db, this.#deps.audit, {
      action: (before) =>
        before.enabled === input.enabled
          ? 'webhook_endpoint.update'
          : `webhook_endpoint.${input.enabled ? 'enable' : 'disable'}`,
      target: { type: 'webhook_endpoint', id },
      context,
      expectedVersion,
      load: (trx) => this.#load(trx, id, now),
      apply: (trx, before) =>
        updateVersioned(trx, 'webhook_endpoints', before, {
          ...inputColumns(input),
          enabled: input.enabled ? 1 : 0,
          disabled_reason: input.enabled ? null : (before.disabled_reason ?? 'disabled_by_admin'),
          ...(input.enabled && !before.enabled ? { failing_since: null } : {}),
          updated_at: now,
        }),
    });
  }

  /**
   * Issues a new signing secret at once; the active ones keep signing until `overlapSeconds` from now
   * (never longer than they already would), so receivers can switch without missing a delivery (W4).
   */
  async rotateSecret(id: string, overlapSeconds: number, context: AuditContext): Promise<IssuedEndpoint> {
    const now = Date.now();
    let secret: IssuedEndpoint['secret'] | undefined;
    return applyAuditedChange<WebhookEndpoint, IssuedEndpoint>(this.#deps.db, this.#deps.audit, {
      action: 'webhook_endpoint.rotate_secret',
      target: { type: 'webhook_endpoint', id },
      context,
      load: (trx) => this.#load(trx, id, now),
      apply: async (trx, before) => {
        const overlapEnd = now + overlapSeconds * 1000;
        await trx
          .updateTable('webhook_endpoint_secrets')
          .set({ expires_at: overlapEnd })
          .where('endpoint_id', '=', id)
          .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', overlapEnd)]))
          .execute();
        secret = await this.#insertSecret(trx, id, before.signing_scheme, now);
        return updateVersioned(trx, 'webhook_endpoints', before, { updated_at: now });
      },
      recordAfter: (after) => ({ ...after, overlap_seconds: overlapSeconds }),
      result: (endpoint) => ({ endpoint, secret: secret as IssuedEndpoint['secret'] }),
    });
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
    const after = await applyAuditedChange<WebhookEndpoint>(this.#deps.db, this.#deps.audit, {
      action: 'webhook_endpoint.disable',
      target: { type: 'webhook_endpoint', id },
      context: SYSTEM_ACTOR,
      load: (trx) => this.#load(trx, id, now),
      apply: (trx, before) =>
        before.enabled
          ? updateVersioned(trx, 'webhook_endpoints', before, {
              enabled: 0,
              disabled_reason: reason,
              updated_at: now,
            })
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
    await trx
      .insertInto('webhook_endpoint_secrets')
      .values({
        id,
        endpoint_id: endpointId,
        kind: generated.kind,
        secret_sealed: sealed,
        public_key: generated.publicKey,
        hint: generated.hint,
        created_at: now,
        expires_at: null,
      })
      .execute();
    return generated.secret;
  }

  async #load(db: Kysely<Schema>, id: string, now: number): Promise<WebhookEndpoint> {
    const row = await db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('Webhook endpoint');
    const secrets = await db
      .selectFrom('webhook_endpoint_secrets')
      .selectAll()
      .where('endpoint_id', '=', id)
      .execute();
    return toWebhookEndpoint(row, secrets, now);
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
