import type { KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DialectName } from '../db/database.ts';
import type { Schema } from '../db/schema.ts';
import { ApiError } from '../http/api-error.ts';
import type { BrokenLinkReason } from './audit-chain.ts';
import { lockAuditHead } from './audit-head.ts';
import type { AuditCheckpointTable } from './audit-schema.ts';
import { GENESIS_HASH } from './audit-schema.ts';
import type { AuditSigningKey } from './audit-signing-key.ts';
import { type BrokenLink, type ChainPosition, walkStoredChain } from './audit-walk.ts';
import {
  type AuditCheckpoint,
  checkpointSignatureValid,
  GENESIS_DIGEST,
  signCheckpoint,
} from './checkpoint-format.ts';

export interface VerifyResult {
  ok: boolean;
  entries_checked: number;
  /** The checkpoint the walk started from when older entries were purged, else null (genesis). */
  started_after: number | null;
  first_broken: { seq: number; id: string | null; reason: BrokenLinkReason } | null;
}

export interface CheckpointOutcome {
  checkpoint: AuditCheckpoint;
  /** False when the newest checkpoint already covered the head. */
  created: boolean;
}

const GENESIS: ChainPosition = { seq: 0, entryId: null, hash: GENESIS_HASH, digest: GENESIS_DIGEST };

/**
 * Signed checkpoints of the chain head (L3): each signs the newest entry's link hash and the public
 * digest chain through it, so an export can be verified with the public key alone and the stored
 * chain stays verifiable from a checkpoint after older entries are purged.
 */
export class AuditCheckpoints {
  readonly #dialect: DialectName;
  readonly #chainKey: KeyObject;
  readonly #key: AuditSigningKey;

  constructor(deps: { dialect: DialectName; chainKey: KeyObject; signingKey: AuditSigningKey }) {
    this.#dialect = deps.dialect;
    this.#chainKey = deps.chainKey;
    this.#key = deps.signingKey;
  }

  /**
   * Signs the head, unless the newest checkpoint already covers it; null while the log is empty.
   * Holds the head lock throughout, so concurrent instances write one checkpoint per head, and
   * checks every entry since the previous checkpoint first: a broken chain is never signed.
   */
  create(db: Kysely<Schema>, now = Date.now()): Promise<CheckpointOutcome | null> {
    return db.transaction().execute(async (trx) => {
      const head = await lockAuditHead(trx, this.#dialect);
      const latest = await this.#newest(trx);
      if (latest && latest.seq === head.seq) return { checkpoint: toCheckpoint(latest), created: false };
      if (head.seq === 0) return null;
      const start = latest ? positionOf(latest) : GENESIS;
      const walked = await walkStoredChain(trx, this.#chainKey, start, {
        throughSeq: head.seq,
        signatureValid: () => true,
      });
      if (!walked.ok || walked.end.seq !== head.seq || walked.end.hash !== head.hash) {
        const at = walked.ok ? walked.end.seq + 1 : walked.broken.seq;
        throw new ApiError(
          'audit_chain_broken',
          `The audit chain is broken at entry ${at}; run gatehouse audit verify. No checkpoint was signed`,
        );
      }
      const key = await this.#key.ensure(trx, now);
      const checkpoint = signCheckpoint(key.privateKey, {
        seq: walked.end.seq,
        entry_id: walked.end.entryId as string,
        hash: walked.end.hash,
        digest: walked.end.digest,
        time: new Date(now).toISOString(),
        key_id: key.keyId,
      });
      await trx
        .insertInto('audit_checkpoints')
        .values({
          seq: checkpoint.seq,
          entry_id: checkpoint.entry_id,
          hash: checkpoint.hash,
          digest: checkpoint.digest,
          created_at: now,
          key_id: checkpoint.key_id,
          signature: checkpoint.signature,
        })
        .execute();
      return { checkpoint, created: true };
    });
  }

  /** Newest first; `beforeSeq` pages on, `throughSeq` leaves out newer ones. */
  async list(
    db: Kysely<Schema>,
    query: { limit: number; beforeSeq?: number | undefined; throughSeq?: number | undefined },
  ): Promise<AuditCheckpoint[]> {
    let select = db.selectFrom('audit_checkpoints').selectAll().orderBy('seq', 'desc').limit(query.limit);
    if (query.beforeSeq !== undefined) select = select.where('seq', '<', query.beforeSeq);
    if (query.throughSeq !== undefined) select = select.where('seq', '<=', query.throughSeq);
    return (await select.execute()).map(toCheckpoint);
  }

  /** The checkpoint at `seq`, if there is one. */
  async at(db: Kysely<Schema>, seq: number): Promise<AuditCheckpoint | undefined> {
    const row = await db
      .selectFrom('audit_checkpoints')
      .selectAll()
      .where('seq', '=', seq)
      .executeTakeFirst();
    return row && toCheckpoint(row);
  }

  /**
   * Walks the stored chain and reports the first entry that was edited, inserted or deleted, or
   * checkpoint that does not match. After a purge the walk starts from the oldest checkpoint
   * (whose signature must hold), and an `audit.purge` entry must record that purge: entries
   * removed any other way are reported missing.
   */
  async verify(db: Kysely<Schema>): Promise<VerifyResult> {
    const key = await this.#key.find(db);
    const signatureValid = (row: AuditCheckpointTable) =>
      key !== undefined && checkpointSignatureValid(key.publicKey, toCheckpoint(row));
    const failed = (broken: BrokenLink, checked = 0, startedAfter: number | null = null): VerifyResult => ({
      ok: false,
      entries_checked: checked,
      started_after: startedAfter,
      first_broken: broken,
    });
    const head = await db
      .selectFrom('audit_head')
      .select(['seq', 'hash'])
      .where('id', '=', 1)
      .executeTakeFirst();
    const first = await db
      .selectFrom('audit_log')
      .select(['seq', 'id'])
      .orderBy('seq', 'asc')
      .limit(1)
      .executeTakeFirst();
    const oldest = await db
      .selectFrom('audit_checkpoints')
      .selectAll()
      .orderBy('seq', 'asc')
      .limit(1)
      .executeTakeFirst();
    let start = GENESIS;
    const firstSeq = first?.seq ?? (head?.seq ?? 0) + 1;
    if (firstSeq > 1) {
      if (!oldest || oldest.seq !== firstSeq - 1)
        return failed({ seq: 1, id: null, reason: 'entries_missing' });
      if (!signatureValid(oldest))
        return failed({ seq: oldest.seq, id: oldest.entry_id, reason: 'checkpoint_signature_invalid' });
      start = positionOf(oldest);
    }
    const startedAfter = start.seq === 0 ? null : start.seq;
    const walked = await walkStoredChain(db, this.#chainKey, start, { signatureValid });
    if (!walked.ok) return failed(walked.broken, walked.checked, startedAfter);
    if (!head || head.seq !== walked.end.seq || head.hash !== walked.end.hash)
      return failed(
        { seq: walked.end.seq + 1, id: null, reason: 'head_mismatch' },
        walked.checked,
        startedAfter,
      );
    if (startedAfter !== null && !walked.purgesRecorded.has(startedAfter))
      return failed({ seq: startedAfter, id: null, reason: 'entries_missing' }, walked.checked, startedAfter);
    return { ok: true, entries_checked: walked.checked, started_after: startedAfter, first_broken: null };
  }

  async #newest(db: Kysely<Schema>): Promise<AuditCheckpointTable | undefined> {
    return db.selectFrom('audit_checkpoints').selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirst();
  }
}

function positionOf(row: AuditCheckpointTable): ChainPosition {
  return { seq: row.seq, entryId: row.entry_id, hash: row.hash, digest: row.digest };
}

export function toCheckpoint(row: AuditCheckpointTable): AuditCheckpoint {
  return {
    seq: row.seq,
    entry_id: row.entry_id,
    hash: row.hash,
    digest: row.digest,
    time: new Date(row.created_at).toISOString(),
    key_id: row.key_id,
    signature: row.signature,
  };
}
