import type { Insertable, Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';
import type { BulkActionItemTable, BulkActionTable } from './incident-schema.ts';

/** What a finished item records, written in the transaction of the credential's own change. */
export interface ItemOutcome {
  readonly outcome: string;
  readonly secretSealed: string | null;
  readonly oldSecretsEnd: number | null;
  readonly finishedAt: number;
}

/** The SQL of bulk actions and their items. Every method takes the executor to use. */
export class BulkActionStore {
  readonly db: Kysely<Schema>;

  constructor(db: Kysely<Schema>) {
    this.db = db;
  }

  async insert(
    action: Insertable<BulkActionTable>,
    items: readonly Insertable<BulkActionItemTable>[],
    db = this.db,
  ): Promise<void> {
    await db.insertInto('bulk_actions').values(action).execute();
    // Bounded statements: SQLite allows 32766 parameters, PostgreSQL 65535.
    for (let i = 0; i < items.length; i += 500) {
      await db
        .insertInto('bulk_action_items')
        .values(items.slice(i, i + 500))
        .execute();
    }
  }

  find(id: string, db = this.db): Promise<BulkActionTable | undefined> {
    return db.selectFrom('bulk_actions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  findByIdempotencyKey(actorId: string, key: string, db = this.db): Promise<BulkActionTable | undefined> {
    return db
      .selectFrom('bulk_actions')
      .selectAll()
      .where('actor_id', '=', actorId)
      .where('idempotency_key', '=', key)
      .executeTakeFirst();
  }

  /** The running action with one of these credentials still pending, or undefined. */
  async pendingActionHolding(credentialIds: readonly string[], db = this.db): Promise<string | undefined> {
    for (let i = 0; i < credentialIds.length; i += 500) {
      const row = await db
        .selectFrom('bulk_action_items')
        .select('action_id')
        .where('state', '=', 'pending')
        .where('credential_id', 'in', credentialIds.slice(i, i + 500))
        .executeTakeFirst();
      if (row) return row.action_id;
    }
    return undefined;
  }

  /** The items in plan order (kind, then id, as selected). */
  items(actionId: string, db = this.db): Promise<BulkActionItemTable[]> {
    return db
      .selectFrom('bulk_action_items')
      .selectAll()
      .where('action_id', '=', actionId)
      .orderBy('credential_kind')
      .orderBy('credential_id')
      .execute();
  }

  /**
   * Takes a pending item inside the transaction of its credential's change: false when another run
   * finished it (the change then rolls back, so no credential is changed twice).
   */
  async takeItem(trx: Kysely<Schema>, actionId: string, credentialId: string): Promise<boolean> {
    const result = await trx
      .updateTable('bulk_action_items')
      .set({ state: 'done' })
      .where('action_id', '=', actionId)
      .where('credential_id', '=', credentialId)
      .where('state', '=', 'pending')
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async completeItem(
    trx: Kysely<Schema>,
    actionId: string,
    credentialId: string,
    outcome: ItemOutcome,
  ): Promise<void> {
    await trx
      .updateTable('bulk_action_items')
      .set({
        outcome: outcome.outcome,
        secret_sealed: outcome.secretSealed,
        old_secrets_end: outcome.oldSecretsEnd,
        finished_at: outcome.finishedAt,
      })
      .where('action_id', '=', actionId)
      .where('credential_id', '=', credentialId)
      .execute();
  }

  /** An item whose change was refused (e.g. revoked meanwhile): failed, with the refusal's code. */
  async failItem(actionId: string, credentialId: string, code: string, now: number): Promise<void> {
    await this.db
      .updateTable('bulk_action_items')
      .set({ state: 'failed', outcome: 'failed', error_code: code, finished_at: now })
      .where('action_id', '=', actionId)
      .where('credential_id', '=', credentialId)
      .where('state', '=', 'pending')
      .execute();
  }

  async markNotified(actionId: string, credentialIds: readonly string[]): Promise<void> {
    if (credentialIds.length === 0) return;
    await this.db
      .updateTable('bulk_action_items')
      .set({ notified: 1 })
      .where('action_id', '=', actionId)
      .where('credential_id', 'in', credentialIds)
      .execute();
  }

  /**
   * Takes the finish of a running action: false when another run finished it already. Called first
   * in the finishing transaction, so two runs that finish at once wait on the action's row and only
   * one of them finishes (and reads the secrets).
   */
  async takeFinish(trx: Kysely<Schema>, actionId: string, now: number): Promise<boolean> {
    const result = await trx
      .updateTable('bulk_actions')
      .set({ status: 'done', finished_at: now })
      .where('id', '=', actionId)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Ends the run: secrets forgotten (they are in the response being sent). */
  async forgetSecrets(trx: Kysely<Schema>, actionId: string): Promise<void> {
    await trx
      .updateTable('bulk_action_items')
      .set({ secret_sealed: null })
      .where('action_id', '=', actionId)
      .execute();
  }

  /** The bulk actions of an incident, oldest first. */
  ofIncident(incidentId: string, db = this.db): Promise<BulkActionTable[]> {
    return db
      .selectFrom('bulk_actions')
      .selectAll()
      .where('incident_id', '=', incidentId)
      .orderBy('id')
      .execute();
  }
}
