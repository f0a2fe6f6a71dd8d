import { type Kysely, sql } from 'kysely';
import type { AuditContext, AuditLog } from '../audit/audit-log.ts';
import { applyAuditedChange, updateVersioned } from '../audit/audited-change.ts';
import { changeTransaction } from '../audit/change-transaction.ts';
import type { Schema } from '../db/schema.ts';
import { uuid7 } from '../db/uuid7.ts';
import type { ChangeBus } from '../events/change-bus.ts';
import { notFound } from '../http/api-error.ts';
import { decodeCursor, type Page, pageOf } from '../http/pagination.ts';
import { type Integrator, type IntegratorInput, toIntegrator } from './integrator.ts';

export interface IntegratorServiceDeps {
  readonly db: Kysely<Schema>;
  readonly audit: AuditLog;
  readonly changes: ChangeBus;
}

/** Creates, reads and replaces integrators; every change is audited in the same transaction. */
export class IntegratorService {
  readonly #deps: IntegratorServiceDeps;

  constructor(deps: IntegratorServiceDeps) {
    this.#deps = deps;
  }

  async create(
    input: Partial<IntegratorInput> & { name: string },
    context: AuditContext,
  ): Promise<Integrator> {
    const now = Date.now();
    const row = {
      id: uuid7(now),
      name: input.name,
      email: input.email ?? null,
      status: input.status ?? 'active',
      metadata_json: JSON.stringify(input.metadata ?? {}),
      version: 1,
      created_at: now,
      updated_at: now,
    };
    const integrator = toIntegrator(row);
    return changeTransaction(this.#deps.db, context, async (trx) => {
      await trx.insertInto('integrators').values(row).execute();
      await this.#deps.audit.append(trx, {
        ...context,
        action: 'integrator.create',
        target: { type: 'integrator', id: row.id },
        after: integrator,
      });
      return integrator;
    });
  }

  async get(id: string, db: Kysely<Schema> = this.#deps.db): Promise<Integrator> {
    const row = await db.selectFrom('integrators').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('Integrator');
    return toIntegrator(row);
  }

  /** Newest first; `search` keeps those whose name or email contains it (any case). */
  async list(limit: number, cursor: string | undefined, search?: string): Promise<Page<Integrator>> {
    let query = this.#deps.db
      .selectFrom('integrators')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(limit + 1);
    if (cursor !== undefined) query = query.where('id', '<', decodeCursor<string>(cursor, 'string'));
    if (search !== undefined && search !== '') {
      const pattern = `%${search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      query = query.where((eb) =>
        eb.or([
          sql<boolean>`lower(${eb.ref('name')}) like ${pattern} escape '\\'`,
          sql<boolean>`lower(coalesce(${eb.ref('email')}, '')) like ${pattern} escape '\\'`,
        ]),
      );
    }
    return pageOf(await query.execute(), limit, toIntegrator, (row) => row.id);
  }

  /** Replaces the writable fields; disabling stops every credential of the integrator at once. */
  async replace(
    id: string,
    input: IntegratorInput,
    expectedVersion: number | undefined,
    context: AuditContext,
  ): Promise<Integrator> {
    const updated = await applyAuditedChange<Integrator>(this.#deps.db, this.#deps.audit, {
      action: (before) =>
        before.status === input.status
          ? 'integrator.update'
          : `integrator.${input.status === 'disabled' ? 'disable' : 'enable'}`,
      target: { type: 'integrator', id },
      context,
      expectedVersion,
      load: (trx) => this.get(id, trx),
      apply: (trx, before) =>
        updateVersioned(trx, 'integrators', before, {
          name: input.name,
          email: input.email,
          status: input.status,
          metadata_json: JSON.stringify(input.metadata),
          updated_at: Date.now(),
        }),
    });
    this.#deps.changes.publish('credentials');
    return updated;
  }
}
