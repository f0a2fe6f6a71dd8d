import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';

/**
 * Who did something: an admin token, the local CLI, Gatehouse itself, or an integrator's credential
 * acting on itself over the data path (self-rotation; `name` is the credential's kind).
 */
export interface Actor {
  readonly type: 'admin_token' | 'cli' | 'system' | 'credential';
  readonly id: string | null;
  readonly name: string;
}

/** Who is acting and from where: carried from a request (or the CLI) into every audited change. */
export interface AuditContext {
  readonly actor: Actor;
  readonly ip?: string | null;
  readonly requestId?: string | null;
  /** The request's Idempotency-Key, to be taken and completed inside the change's transaction. */
  readonly idempotency?: IdempotencyClaim | undefined;
}

/**
 * An `Idempotency-Key` bound to the change it asked for (C8): the key is taken and the response
 * stored inside the change's own transaction, so the change and its record commit together or not
 * at all. A crash before the commit leaves neither (the retry runs again); after it, both (the retry
 * gets the stored response).
 */
export interface IdempotencyClaim {
  /**
   * Takes the key inside `trx`, first thing. Waits while another transaction holds the same key;
   * false when a request with this key has already committed.
   */
  take(trx: Kysely<Schema>): Promise<boolean>;
  /** Stores, inside `trx`, the response the request will be answered with for `result`. */
  complete(trx: Kysely<Schema>, result: unknown): Promise<void>;
}

/** The part of an admin request its audit context is made from (`admin-auth.ts` sets `admin`). */
export interface AuditedRequest {
  readonly admin: { readonly tokenId: string; readonly name: string } | null;
  readonly ip: string;
  readonly id: string;
}

/** The audit context of an authenticated admin request. */
export function auditContextOf(request: AuditedRequest): AuditContext {
  const admin = request.admin;
  return {
    actor: admin
      ? { type: 'admin_token', id: admin.tokenId, name: admin.name }
      : { type: 'system', id: null, name: 'anonymous' },
    ip: request.ip,
    requestId: request.id,
  };
}

/** Gatehouse acting on its own (start-up, automatic revocations), as the audit log names it. */
export const SYSTEM_CONTEXT: AuditContext = Object.freeze({
  actor: Object.freeze({ type: 'system', id: null, name: 'gatehouse' }),
});
