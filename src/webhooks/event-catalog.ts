import type { Kysely } from 'kysely';
import type { AuditContext, AuditLog } from '../audit/audit-log.ts';
import { changeTransaction } from '../audit/change-transaction.ts';
import type { Schema } from '../db/schema.ts';
import { uuid7 } from '../db/uuid7.ts';
import { ApiError, type FieldError, invalidRequest, notFound } from '../http/api-error.ts';
import { staleVersion } from '../http/etag.ts';
import { decodeCursor, type Page, pageOf } from '../http/pagination.ts';
import { type EventType, toEventType } from './event-type.ts';
import { PayloadValidator } from './payload-validator.ts';

/** How long publishing may use a schema it read before reading it again (changes on other instances). */
const SCHEMA_CACHE_MS = 1000;

interface CachedType {
  readonly row: { id: string; version: number; schema_json: string } | undefined;
  readonly fetchedAt: number;
}

export interface EventTypeInput {
  description: string;
  schema: Record<string, unknown>;
}

/**
 * The event catalog (W1): which events exist and what their data looks like. Publishing checks
 * data against the type's schema; endpoints may only subscribe to types that exist.
 */
export class EventCatalog {
  readonly #db: Kysely<Schema>;
  readonly #audit: AuditLog;
  readonly #validator = new PayloadValidator();
  readonly #types = new Map<string, CachedType>();

  constructor(deps: { db: Kysely<Schema>; audit: AuditLog }) {
    this.#db = deps.db;
    this.#audit = deps.audit;
  }

  async create(
    input: Partial<EventTypeInput> & { name: string; schema: Record<string, unknown> },
    context: AuditContext,
  ): Promise<EventType> {
    this.#validator.assertValidSchema(input.schema);
    const now = Date.now();
    const row = {
      id: uuid7(now),
      name: input.name,
      description: input.description ?? '',
      schema_json: JSON.stringify(input.schema),
      version: 1,
      created_at: now,
      updated_at: now,
    };
    const eventType = toEventType(row);
    return changeTransaction(this.#db, context, async (trx) => {
      const existing = await trx
        .selectFrom('webhook_event_types')
        .select('id')
        .where('name', '=', input.name)
        .executeTakeFirst();
      if (existing) {
        throw new ApiError('event_type_exists', 'An event type with this name exists already', {
          errors: [{ field: '/name', message: 'is taken' }],
        });
      }
      await trx.insertInto('webhook_event_types').values(row).execute();
      await this.#audit.append(trx, {
        ...context,
        action: 'webhook_event_type.create',
        target: { type: 'webhook_event_type', id: row.id },
        after: eventType,
      });
      return eventType;
    });
  }

  /**
   * Declares an event type Gatehouse itself publishes (`credential.leaked`) unless one of its name
   * exists: run at every start, by every instance, so a race between two is no error.
   */
  async ensure(input: EventTypeInput & { name: string }, context: AuditContext): Promise<void> {
    const existing = await this.#db
      .selectFrom('webhook_event_types')
      .select('id')
      .where('name', '=', input.name)
      .executeTakeFirst();
    if (existing) return;
    try {
      await this.create(input, context);
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'event_type_exists')) throw error;
    }
  }

  async get(id: string, db: Kysely<Schema> = this.#db): Promise<EventType> {
    const row = await db
      .selectFrom('webhook_event_types')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw notFound('Event type');
    return toEventType(row);
  }

  async list(limit: number, cursor: string | undefined, name?: string): Promise<Page<EventType>> {
    let query = this.#db
      .selectFrom('webhook_event_types')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(limit + 1);
    if (cursor !== undefined) query = query.where('id', '<', decodeCursor<string>(cursor, 'string'));
    if (name !== undefined) query = query.where('name', '=', name);
    return pageOf(await query.execute(), limit, toEventType, (row) => row.id);
  }

  /** Replaces the description and schema (C4); the new schema applies to events published after. */
  async replace(
    id: string,
    input: EventTypeInput,
    expectedVersion: number | undefined,
    context: AuditContext,
  ): Promise<EventType> {
    this.#validator.assertValidSchema(input.schema);
    return this.#db.transaction().execute(async (trx) => {
      const before = await this.get(id, trx);
      if (expectedVersion !== undefined && before.version !== expectedVersion) throw staleVersion();
      const now = Date.now();
      const result = await trx
        .updateTable('webhook_event_types')
        .set({
          description: input.description,
          schema_json: JSON.stringify(input.schema),
          version: before.version + 1,
          updated_at: now,
        })
        .where('id', '=', id)
        .where('version', '=', before.version)
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) throw staleVersion();
      const after = await this.get(id, trx);
      this.#types.delete(after.name);
      await this.#audit.append(trx, {
        ...context,
        action: 'webhook_event_type.update',
        target: { type: 'webhook_event_type', id },
        before,
        after,
      });
      return after;
    });
  }

  /** Throws a 400 naming `/type` or the bad fields under `/data` unless `data` fits the type. */
  async assertValidEvent(type: string, data: unknown): Promise<void> {
    const now = Date.now();
    let cached = this.#types.get(type);
    if (!cached || now - cached.fetchedAt > SCHEMA_CACHE_MS) {
      const row = await this.#db
        .selectFrom('webhook_event_types')
        .select(['id', 'version', 'schema_json'])
        .where('name', '=', type)
        .executeTakeFirst();
      cached = { row, fetchedAt: now };
      if (this.#types.size >= 1000) this.#types.clear();
      this.#types.set(type, cached);
    }
    const { row } = cached;
    if (!row) throw invalidRequest([{ field: '/type', message: 'is not an event type of the catalog' }]);
    const errors = this.#validator.check(`${row.id}:${row.version}`, row.schema_json, data);
    if (errors.length > 0) throw invalidRequest(errors, 'The event data does not match its type’s schema');
  }

  /** Field errors for every name in `names` that is not in the catalog. */
  async unknownTypes(names: readonly string[], field: string): Promise<FieldError[]> {
    if (names.length === 0) return [];
    const known = new Set(
      (
        await this.#db
          .selectFrom('webhook_event_types')
          .select('name')
          .where('name', 'in', [...names])
          .execute()
      ).map((row) => row.name),
    );
    return names.flatMap((name, index) =>
      known.has(name) ? [] : [{ field: `${field}/${index}`, message: 'is not an event type of the catalog' }],
    );
  }
}
