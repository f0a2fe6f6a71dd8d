import type { Kysely } from 'kysely';
import type { Envelope } from '../crypto/envelope.ts';
import type { Schema } from '../db/schema.ts';

/** A response as it left the server: replayed byte for byte to a retry. */
export interface StoredResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** The record kept under one actor's Idempotency-Key. */
export interface IdempotencyRecord {
  readonly requestHash: string;
  /** Null only for a record left by a version that stored the response after the commit. */
  readonly response: StoredResponse | null;
}

/** The scope of one key: keys belong to the admin token that sent them. */
export interface IdempotencyScope {
  readonly actorId: string;
  readonly key: string;
}

/**
 * The `idempotency_records` table (C8). A record is inserted and completed inside the transaction
 * of the change it stands for, so a committed record always holds its response, and the row's
 * primary key makes a second transaction with the same key wait for the first, then see it.
 */
export class IdempotencyRecords {
  readonly #db: Kysely<Schema>;
  readonly #envelope: Envelope;

  constructor(db: Kysely<Schema>, envelope: Envelope) {
    this.#db = db;
    this.#envelope = envelope;
  }

  async find(scope: IdempotencyScope): Promise<IdempotencyRecord | undefined> {
    const row = await this.#db
      .selectFrom('idempotency_records')
      .selectAll()
      .where('actor_id', '=', scope.actorId)
      .where('idempotency_key', '=', scope.key)
      .executeTakeFirst();
    if (!row) return undefined;
    if (row.status_code === null || row.response_sealed === null)
      return { requestHash: row.request_hash, response: null };
    const sealed = JSON.parse(this.#envelope.openText(row.response_sealed, sealContext(scope))) as Omit<
      StoredResponse,
      'status'
    >;
    return { requestHash: row.request_hash, response: { status: row.status_code, ...sealed } };
  }

  /** Inserts the record inside `trx`; false when a committed one holds the key (after waiting for a running one). */
  async take(
    trx: Kysely<Schema>,
    scope: IdempotencyScope,
    requestHash: string,
    now: number,
  ): Promise<boolean> {
    const inserted = await trx
      .insertInto('idempotency_records')
      .values({
        actor_id: scope.actorId,
        idempotency_key: scope.key,
        request_hash: requestHash,
        status_code: null,
        response_sealed: null,
        created_at: now,
      })
      .onConflict((conflict) => conflict.columns(['actor_id', 'idempotency_key']).doNothing())
      .executeTakeFirst();
    return Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  /** Stores the response, sealed (it may hold a one-time secret), in the record taken in `trx`. */
  async complete(trx: Kysely<Schema>, scope: IdempotencyScope, response: StoredResponse): Promise<void> {
    const { status, ...rest } = response;
    await trx
      .updateTable('idempotency_records')
      .set({
        status_code: status,
        response_sealed: this.#envelope.seal(JSON.stringify(rest), sealContext(scope)),
      })
      .where('actor_id', '=', scope.actorId)
      .where('idempotency_key', '=', scope.key)
      .execute();
  }
}

function sealContext(scope: IdempotencyScope): string {
  return `idempotency:${scope.actorId}:${scope.key}`;
}
