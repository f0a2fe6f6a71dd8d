import type { Kysely } from 'kysely';
import type { AuditContext, AuditLog } from '../audit/audit-log.ts';
import { changeTransaction } from '../audit/change-transaction.ts';
import type { Envelope } from '../crypto/envelope.ts';
import type { Schema } from '../db/schema.ts';
import { uuid7 } from '../db/uuid7.ts';
import { ApiError, notFound } from '../http/api-error.ts';
import { decodeCursor, type Page, pageOf } from '../http/pagination.ts';
import { checkEndpointUrl, type ResolveAll } from '../webhooks/endpoint-url.ts';
import { generateSigningSecret } from '../webhooks/signing-secret.ts';
import type { AlertSinkTable } from './alert-schema.ts';

export type SinkType = 'log' | 'webhook' | 'slack' | 'email';
export const SINK_TYPES: readonly SinkType[] = ['log', 'webhook', 'slack', 'email'];

export interface AlertSink {
  id: string;
  name: string;
  type: SinkType;
  url: string | null;
  to: string | null;
  enabled: boolean;
  created_at: string;
  last_error: string | null;
  last_failure_at: string | null;
  last_success_at: string | null;
}

export interface CreateSinkInput {
  readonly name: string;
  readonly type: SinkType;
  readonly url?: string | undefined;
  readonly to?: string | undefined;
  readonly enabled?: boolean | undefined;
}

export interface SinkServiceDeps {
  readonly db: Kysely<Schema>;
  readonly audit: AuditLog;
  readonly envelope: Envelope;
  readonly allowPrivateAddresses: boolean;
  readonly smtpConfigured: boolean;
  readonly resolve?: ResolveAll;
}

/** The envelope context of a webhook sink's signing key. */
export const sinkSecretContext = (id: string) => `alert-sink:${id}`;

/** Creates, lists and deletes alert sinks (audited); a webhook sink's `whsec_` secret is shown once. */
export class SinkService {
  readonly #deps: SinkServiceDeps;

  constructor(deps: SinkServiceDeps) {
    this.#deps = deps;
  }

  async create(input: CreateSinkInput, context: AuditContext): Promise<AlertSink & { secret?: string }> {
    const target = await this.#target(input);
    const now = Date.now();
    const id = uuid7(now);
    const generated = input.type === 'webhook' ? generateSigningSecret('standard') : null;
    const row: AlertSinkTable = {
      id,
      name: input.name,
      type: input.type,
      target,
      secret_sealed: generated ? this.#deps.envelope.seal(generated.material, sinkSecretContext(id)) : null,
      enabled: input.enabled === false ? 0 : 1,
      created_at: now,
      last_error: null,
      last_failure_at: null,
      last_success_at: null,
    };
    const sink = toSink(row);
    // The one-time secret is part of what the transaction returns, so an Idempotency-Key replay has it too.
    const created = generated?.secret ? { ...sink, secret: generated.secret } : sink;
    return changeTransaction(this.#deps.db, context, async (trx) => {
      await trx.insertInto('alert_sinks').values(row).execute();
      await this.#deps.audit.append(trx, {
        ...context,
        action: 'alert_sink.create',
        target: { type: 'alert_sink', id },
        after: sink,
      });
      return created;
    });
  }

  async #target(input: CreateSinkInput): Promise<string> {
    if (input.type === 'log') return '';
    if (input.type === 'email') {
      if (input.to === undefined || !/^[^\s@]+@[^\s@]+$/.test(input.to))
        throw new ApiError('validation_failed', 'An email sink needs `to`, an email address');
      if (!this.#deps.smtpConfigured)
        throw new ApiError('validation_failed', 'Email sinks need GATEHOUSE_SMTP_URL set on the server');
      return input.to;
    }
    if (input.url === undefined)
      throw new ApiError('validation_failed', `A ${input.type} sink needs \`url\``);
    const verdict = await checkEndpointUrl(input.url, {
      allowPrivate: this.#deps.allowPrivateAddresses,
      ...(this.#deps.resolve ? { resolve: this.#deps.resolve } : {}),
    });
    if (!verdict.ok) {
      const detail = `Alert sink URLs must be public https:// URLs (${verdict.message})`;
      throw new ApiError('url_not_allowed', verdict.hint ? `${detail}; ${verdict.hint}` : detail);
    }
    return verdict.url.href;
  }

  async list(query: { limit: number; cursor?: string | undefined }): Promise<Page<AlertSink>> {
    let select = this.#deps.db
      .selectFrom('alert_sinks')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(query.limit + 1);
    if (query.cursor !== undefined)
      select = select.where('id', '<', decodeCursor<string>(query.cursor, 'string'));
    return pageOf(await select.execute(), query.limit, toSink, (row) => row.id);
  }

  async get(id: string): Promise<AlertSink> {
    const row = await this.#deps.db
      .selectFrom('alert_sinks')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw notFound('Alert sink');
    return toSink(row);
  }

  /** Deletes a sink and drops its pending deliveries. */
  async delete(id: string, context: AuditContext): Promise<AlertSink> {
    return changeTransaction(this.#deps.db, context, async (trx) => {
      const row = await trx.selectFrom('alert_sinks').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) throw notFound('Alert sink');
      await trx.deleteFrom('alert_deliveries').where('sink_id', '=', id).execute();
      await trx.deleteFrom('alert_sinks').where('id', '=', id).execute();
      const sink = toSink(row);
      await this.#deps.audit.append(trx, {
        ...context,
        action: 'alert_sink.delete',
        target: { type: 'alert_sink', id },
        before: sink,
      });
      return sink;
    });
  }
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The API shape of a stored sink (never its secret). */
export function toSink(row: AlertSinkTable): AlertSink {
  const type = row.type as SinkType;
  return {
    id: row.id,
    name: row.name,
    type,
    url: type === 'webhook' || type === 'slack' ? row.target : null,
    to: type === 'email' ? row.target : null,
    enabled: row.enabled === 1,
    created_at: new Date(row.created_at).toISOString(),
    last_error: row.last_error,
    last_failure_at: iso(row.last_failure_at),
    last_success_at: iso(row.last_success_at),
  };
}
