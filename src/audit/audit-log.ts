import type { KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DialectName } from '../db/database.ts';
import type { Schema } from '../db/schema.ts';
import { uuid7 } from '../db/uuid7.ts';
import { linkHash } from './audit-chain.ts';
import { type AuditLogTable, GENESIS_HASH } from './audit-schema.ts';

export type { Actor, AuditContext } from './audit-context.ts';

import type { Actor, AuditContext } from './audit-context.ts';

export interface AuditInput extends Omit<AuditContext, 'idempotency'> {
  readonly action: string;
  readonly target: { readonly type: string; readonly id: string | null };
  readonly before?: unknown;
  readonly after?: unknown;
}

export interface AuditEntry {
  seq: number;
  id: string;
  time: string;
  actor: Actor;
  action: string;
  target: { type: string; id: string | null };
  before: unknown;
  after: unknown;
  ip: string | null;
  request_id: string | null;
  prev_hash: string;
  hash: string;
}

export type BrokenLinkReason = 'entry_modified' | 'chain_broken' | 'entries_missing' | 'head_mismatch';

export interface VerifyResult {
  ok: boolean;
  entries_checked: number;
  first_broken: { seq: number; id: string | null; reason: BrokenLinkReason } | null;
}

export interface ListAuditQuery {
  limit: number;
  /** Entries older than this sequence number. */
  beforeSeq?: number | undefined;
  action?: string | undefined;
  targetId?: string | undefined;
}

const SECRET_FIELD = /(^|_)(key|secret|token|password|hash|sealed)$/i;
const VERIFY_PAGE = 1000;

/** The hash-chained, append-only audit trail (L3). */
export class AuditLog {
  readonly #dialect: DialectName;
  readonly #chainKey: KeyObject;

  constructor(dialect: DialectName, chainKey: KeyObject) {
    this.#dialect = dialect;
    this.#chainKey = chainKey;
  }

  /**
   * Appends one entry. Call it inside the transaction that makes the change, so the change and its
   * record commit together. The head row lock serialises appends across instances on PostgreSQL.
   */
  async append(trx: Kysely<Schema>, input: AuditInput, now = Date.now()): Promise<void> {
    let headQuery = trx.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1);
    if (this.#dialect === 'postgres') headQuery = headQuery.forUpdate();
    const head = await headQuery.executeTakeFirstOrThrow();
    const row: Omit<AuditLogTable, 'hash'> = {
      seq: head.seq + 1,
      id: uuid7(now),
      created_at: now,
      actor_type: input.actor.type,
      actor_id: input.actor.id,
      actor_name: input.actor.name,
      action: input.action,
      target_type: input.target.type,
      target_id: input.target.id,
      before_json: input.before === undefined ? null : JSON.stringify(withoutSecrets(input.before)),
      after_json: input.after === undefined ? null : JSON.stringify(withoutSecrets(input.after)),
      ip: input.ip ?? null,
      request_id: input.requestId ?? null,
      prev_hash: head.hash,
    };
    const hash = linkHash(this.#chainKey, row);
    await trx
      .insertInto('audit_log')
      .values({ ...row, hash })
      .execute();
    await trx.updateTable('audit_head').set({ seq: row.seq, hash }).where('id', '=', 1).execute();
  }

  async list(db: Kysely<Schema>, query: ListAuditQuery): Promise<AuditEntry[]> {
    let select = db.selectFrom('audit_log').selectAll().orderBy('seq', 'desc').limit(query.limit);
    if (query.beforeSeq !== undefined) select = select.where('seq', '<', query.beforeSeq);
    if (query.action !== undefined) select = select.where('action', '=', query.action);
    if (query.targetId !== undefined) select = select.where('target_id', '=', query.targetId);
    return (await select.execute()).map(toEntry);
  }

  /** Walks the whole chain and reports the first entry that was edited, inserted or deleted. */
  async verify(db: Kysely<Schema>): Promise<VerifyResult> {
    let expectedSeq = 1;
    let previousHash = GENESIS_HASH;
    let checked = 0;
    for (;;) {
      const rows = await db
        .selectFrom('audit_log')
        .selectAll()
        .where('seq', '>=', expectedSeq)
        .orderBy('seq', 'asc')
        .limit(VERIFY_PAGE)
        .execute();
      for (const row of rows) {
        const broken = this.#checkLink(row, expectedSeq, previousHash);
        if (broken)
          return {
            ok: false,
            entries_checked: checked,
            first_broken: { seq: row.seq, id: row.id, reason: broken },
          };
        checked++;
        expectedSeq = row.seq + 1;
        previousHash = row.hash;
      }
      if (rows.length < VERIFY_PAGE) break;
    }
    const head = await db
      .selectFrom('audit_head')
      .select(['seq', 'hash'])
      .where('id', '=', 1)
      .executeTakeFirst();
    if (!head || head.seq !== expectedSeq - 1 || head.hash !== previousHash) {
      return {
        ok: false,
        entries_checked: checked,
        first_broken: { seq: expectedSeq, id: null, reason: 'head_mismatch' },
      };
    }
    return { ok: true, entries_checked: checked, first_broken: null };
  }

  #checkLink(row: AuditLogTable, expectedSeq: number, previousHash: string): BrokenLinkReason | null {
    if (row.seq !== expectedSeq) return 'entries_missing';
    if (row.prev_hash !== previousHash) return 'chain_broken';
    const { hash, ...rest } = row;
    return linkHash(this.#chainKey, rest) === hash ? null : 'entry_modified';
  }
}

function toEntry(row: AuditLogTable): AuditEntry {
  return {
    seq: row.seq,
    id: row.id,
    time: new Date(row.created_at).toISOString(),
    actor: { type: row.actor_type as Actor['type'], id: row.actor_id, name: row.actor_name },
    action: row.action,
    target: { type: row.target_type, id: row.target_id },
    before: row.before_json === null ? null : JSON.parse(row.before_json),
    after: row.after_json === null ? null : JSON.parse(row.after_json),
    ip: row.ip,
    request_id: row.request_id,
    prev_hash: row.prev_hash,
    hash: row.hash,
  };
}

/** A safety net: resources are recorded in their public form, which never holds secrets. */
function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [field, inner] of Object.entries(value)) {
    out[field] = SECRET_FIELD.test(field) ? '[removed]' : withoutSecrets(inner);
  }
  return out;
}
