import type { KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Envelope } from '../crypto/envelope.ts';
import type { DialectName } from '../db/database.ts';
import type { Schema } from '../db/schema.ts';
import { uuid7 } from '../db/uuid7.ts';
import { linkHash } from './audit-chain.ts';
import { AuditCheckpoints, type VerifyResult } from './audit-checkpoints.ts';
import { type AuditEntry, toEntry } from './audit-entry.ts';
import { lockAuditHead } from './audit-head.ts';
import { deleteThroughCheckpoint, type PurgeOutcome } from './audit-purge.ts';
import type { AuditLogTable } from './audit-schema.ts';
import { AuditSigningKey } from './audit-signing-key.ts';
import { type ChainLinker, pendingAppendsOf, type UnlinkedEntry } from './change-groups.ts';
import { PURGE_ACTION } from './checkpoint-format.ts';

export type { Actor, AuditContext } from './audit-context.ts';
export type { AuditEntry } from './audit-entry.ts';

import type { AuditContext } from './audit-context.ts';

export interface AuditInput extends Omit<AuditContext, 'idempotency'> {
  readonly action: string;
  readonly target: { readonly type: string; readonly id: string | null };
  readonly before?: unknown;
  readonly after?: unknown;
}

export type { BrokenLinkReason } from './audit-chain.ts';
export type { VerifyResult } from './audit-checkpoints.ts';

export interface ListAuditQuery {
  limit: number;
  /** Entries older than this sequence number. */
  beforeSeq?: number | undefined;
  action?: string | undefined;
  targetId?: string | undefined;
}

const SECRET_FIELD = /(^|_)(key|secret|token|password|hash|sealed)$/i;
/** Rows per INSERT when a group links many entries (well under both databases' parameter limits). */
const INSERT_CHUNK = 500;

/** The hash-chained, append-only audit trail (L3). */
export class AuditLog implements ChainLinker {
  readonly #dialect: DialectName;
  readonly #chainKey: KeyObject;
  /** The Ed25519 key checkpoints are signed with. */
  readonly signingKey: AuditSigningKey;
  /** Signed checkpoints of the chain head: export, offline verification, purge. */
  readonly checkpoints: AuditCheckpoints;

  constructor(dialect: DialectName, chainKey: KeyObject, envelope: Envelope) {
    this.#dialect = dialect;
    this.#chainKey = chainKey;
    this.signingKey = new AuditSigningKey(dialect, envelope);
    this.checkpoints = new AuditCheckpoints({ dialect, chainKey, signingKey: this.signingKey });
  }

  /**
   * Takes the chain's lock inside `trx` now, ahead of the append, for a change whose checks must
   * not race another audited change (revoking an owner token while counting the owners left).
   */
  async lockChain(trx: Kysely<Schema>): Promise<void> {
    await lockAuditHead(trx, this.#dialect);
  }

  /**
   * Appends one entry. Call it inside the transaction that makes the change, so the change and its
   * record commit together. Inside a `changeTransaction` the entry is linked to the chain just
   * before that transaction commits, with the other changes committed alongside (group commit);
   * in any other transaction it is linked at once. Either way the head row lock serialises
   * appends across instances on PostgreSQL.
   */
  async append(trx: Kysely<Schema>, input: AuditInput, now = Date.now()): Promise<void> {
    const entry: UnlinkedEntry = {
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
    };
    const pending = pendingAppendsOf(trx);
    if (pending) pending.push({ linker: this, entry });
    else await this.linkEntries(trx, [entry]);
  }

  /** Gives `entries` the next places in the chain, in order, under the head lock; moves the head once. */
  async linkEntries(trx: Kysely<Schema>, entries: readonly UnlinkedEntry[]): Promise<void> {
    if (entries.length === 0) return;
    let head = await lockAuditHead(trx, this.#dialect);
    const rows: AuditLogTable[] = [];
    for (const entry of entries) {
      const row = { seq: head.seq + 1, ...entry, prev_hash: head.hash };
      const hash = linkHash(this.#chainKey, row);
      rows.push({ ...row, hash });
      head = { seq: row.seq, hash };
    }
    if (this.#dialect === 'postgres' && rows.length <= INSERT_CHUNK) {
      // One round trip for both writes (a data-modifying CTE; SQLite has none).
      await trx
        .with('linked', (db) => db.insertInto('audit_log').values(rows))
        .updateTable('audit_head')
        .set(head)
        .where('id', '=', 1)
        .execute();
      return;
    }
    for (let i = 0; i < rows.length; i += INSERT_CHUNK)
      await trx
        .insertInto('audit_log')
        .values(rows.slice(i, i + INSERT_CHUNK))
        .execute();
    await trx.updateTable('audit_head').set(head).where('id', '=', 1).execute();
  }

  async list(db: Kysely<Schema>, query: ListAuditQuery): Promise<AuditEntry[]> {
    let select = db.selectFrom('audit_log').selectAll().orderBy('seq', 'desc').limit(query.limit);
    if (query.beforeSeq !== undefined) select = select.where('seq', '<', query.beforeSeq);
    if (query.action !== undefined) select = select.where('action', '=', query.action);
    if (query.targetId !== undefined) select = select.where('target_id', '=', query.targetId);
    return (await select.execute()).map(toEntry);
  }

  /** Entries about `targetId` made in [since, until), oldest first, at most `limit` (a timeline's read). */
  async forTarget(
    db: Kysely<Schema>,
    targetId: string,
    range: { since: number; until: number; limit: number },
  ): Promise<AuditEntry[]> {
    const rows = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('target_id', '=', targetId)
      .where('created_at', '>=', range.since)
      .where('created_at', '<', range.until)
      .orderBy('seq')
      .limit(range.limit)
      .execute();
    return rows.map(toEntry);
  }

  /** Walks the whole chain (from the oldest checkpoint after a purge); see `AuditCheckpoints.verify`. */
  verify(db: Kysely<Schema>): Promise<VerifyResult> {
    return this.checkpoints.verify(db);
  }

  /** Oldest first, for exports: entries after `afterSeq`, up to `throughSeq`. */
  async listAscending(
    db: Kysely<Schema>,
    query: { limit: number; afterSeq?: number | undefined; throughSeq?: number | undefined },
  ): Promise<AuditEntry[]> {
    let select = db.selectFrom('audit_log').selectAll().orderBy('seq', 'asc').limit(query.limit);
    if (query.afterSeq !== undefined) select = select.where('seq', '>', query.afterSeq);
    if (query.throughSeq !== undefined) select = select.where('seq', '<=', query.throughSeq);
    return (await select.execute()).map(toEntry);
  }

  /**
   * Removes every entry up to and including the one checkpoint `throughSeq` covers (for the
   * retention job), after checking the chain is intact, and records the purge as an `audit.purge`
   * entry in the same transaction. Verifying then starts from that checkpoint instead of genesis.
   */
  purgeAuditBefore(
    db: Kysely<Schema>,
    checkpoint: { seq: number },
    context: Omit<AuditContext, 'idempotency'>,
    now = Date.now(),
  ): Promise<PurgeOutcome> {
    return db.transaction().execute(async (trx) => {
      await lockAuditHead(trx, this.#dialect);
      const stored = await this.checkpoints.at(trx, checkpoint.seq);
      if (!stored) throw new Error(`there is no audit checkpoint at entry ${checkpoint.seq}`);
      const oldest = await trx
        .selectFrom('audit_log')
        .select('seq')
        .orderBy('seq', 'asc')
        .limit(1)
        .executeTakeFirst();
      if (!oldest || oldest.seq > stored.seq)
        return { through_seq: stored.seq, entries_removed: 0, checkpoints_removed: 0 };
      const verified = await this.checkpoints.verify(trx);
      if (!verified.ok)
        throw new Error(
          `the audit chain is broken at entry ${verified.first_broken?.seq} (${verified.first_broken?.reason}); nothing was purged`,
        );
      const outcome = await deleteThroughCheckpoint(trx, stored.seq);
      await this.append(
        trx,
        {
          ...context,
          action: PURGE_ACTION,
          target: { type: 'audit_checkpoint', id: String(stored.seq) },
          after: outcome,
        },
        now,
      );
      return outcome;
    });
  }
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
