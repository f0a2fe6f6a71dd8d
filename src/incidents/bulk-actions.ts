import type { Kysely } from 'kysely';
import type { AuditContext, IdempotencyClaim } from '../audit/audit-context.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { IdempotencyKeyTaken } from '../audit/change-transaction.ts';
import type { Envelope } from '../crypto/envelope.ts';
import type { Schema } from '../db/schema.ts';
import { uuid7 } from '../db/uuid7.ts';
import type { Environment } from '../environments/environment.ts';
import { ApiError, notFound } from '../http/api-error.ts';
import { BulkActionStore } from './bulk-action-store.ts';
import { CREDENTIAL_REVOKED_EVENT, CREDENTIAL_ROTATED_EVENT } from './bulk-events.ts';
import type { BulkIdempotency, BulkRequest, BulkVerb } from './bulk-request.ts';
import { type BulkResult, outcomeOf, type PlannedAction, previewOf, resultOf } from './bulk-result.ts';
import {
  type CredentialSource,
  resolveSelection,
  selectCredentials,
  type UsedFrom,
} from './credential-selection.ts';
import type { BulkActionItemTable, BulkActionTable } from './incident-schema.ts';
import type { IncidentService } from './incident-service.ts';

/** Tells an integrator, by webhook event, what was done to its credentials (never throws). */
export type NotifyIntegrator = (event: {
  readonly type: string;
  readonly integratorId: string;
  readonly environment: Environment;
  readonly data: Record<string, unknown>;
}) => Promise<void>;

export interface BulkActionsDeps {
  readonly db: Kysely<Schema>;
  readonly audit: AuditLog;
  readonly envelope: Envelope;
  readonly sources: readonly CredentialSource[];
  readonly usedFrom: UsedFrom;
  readonly notify: NotifyIntegrator;
  readonly incidents: IncidentService;
}

export type { BulkIdempotency, BulkRequest } from './bulk-request.ts';

const sealContext = (actionId: string, credentialId: string) => `bulk-secret:${actionId}:${credentialId}`;

/**
 * Bulk rotation and revocation (L6). The selection is resolved and the plan (one item per
 * credential) committed first, with an audit entry; then each credential changes in its own audited
 * transaction, which also moves its item from `pending` to `done` and keeps its new secret sealed.
 * So a run cut short leaves every credential either changed (and known to be) or untouched, and
 * running the action again — the same Idempotency-Key, or `resume` — changes only the pending ones
 * and returns every new secret the interrupted run made. Secrets are erased when the run finishes.
 */
export class BulkActions {
  readonly store: BulkActionStore;
  readonly #deps: BulkActionsDeps;

  constructor(deps: BulkActionsDeps) {
    this.#deps = deps;
    this.store = new BulkActionStore(deps.db);
  }

  async run(request: BulkRequest, context: AuditContext, idempotency?: BulkIdempotency): Promise<BulkResult> {
    const selection = resolveSelection(request.selection);
    if (idempotency) {
      const earlier = await this.#earlier(idempotency);
      if (earlier) return this.#continue(earlier, context);
    }
    if (request.incidentId !== null) await this.#deps.incidents.assertOpen(request.incidentId);
    const chosen = await selectCredentials(selection, this.#deps.sources, this.#deps.usedFrom);
    if (request.dryRun) return previewOf(request, chosen);
    const now = Date.now();
    const action: PlannedAction = {
      id: uuid7(now),
      incident_id: request.incidentId,
      action: request.verb,
      selection_json: JSON.stringify(request.selection),
      overlap_seconds: request.verb === 'rotate' ? request.overlapSeconds : null,
      reason: request.reason,
      status: 'running',
      actor_json: JSON.stringify(context.actor),
      actor_id: idempotency?.actorId ?? null,
      idempotency_key: idempotency?.key ?? null,
      request_hash: idempotency?.requestHash ?? null,
      created_at: now,
      finished_at: null,
    };
    try {
      await this.#deps.db.transaction().execute(async (trx) => {
        await this.store.insert(
          action,
          chosen.map((c) => ({
            action_id: action.id,
            credential_kind: c.kind,
            credential_id: c.id,
            integrator_id: c.integratorId,
            environment: c.environment,
            name: c.name,
            state: 'pending',
            outcome: null,
            error_code: null,
            secret_sealed: null,
            old_secrets_end: null,
            notified: 0,
            finished_at: null,
          })),
          trx,
        );
        const planned = { selection: request.selection, credentials: chosen.length };
        await this.#deps.audit.append(trx, {
          ...context,
          action: `bulk_action.${request.verb}.start`,
          target: { type: 'bulk_action', id: action.id },
          after: { ...planned, incident_id: request.incidentId, overlap_seconds: action.overlap_seconds },
        });
        if (request.incidentId !== null)
          await this.#deps.incidents.recordAction(
            trx,
            request.incidentId,
            action.id,
            { verb: request.verb, status: 'running', ...planned },
            context,
          );
      });
    } catch (error) {
      // Two requests with one Idempotency-Key at once: the second one joins the first's plan.
      const concurrent = idempotency && (await this.#earlier(idempotency));
      if (concurrent) return this.#continue(concurrent, context);
      // Two different actions at once over the same credentials: the later plan is refused whole,
      // so no credential is rotated twice and no caller holds secrets that are already dead.
      const busy = await this.store.pendingActionHolding(chosen.map((c) => c.id));
      if (busy === undefined) throw error;
      throw new ApiError(
        'bulk_action_conflict',
        `Bulk action ${busy} is changing some of these credentials; wait for it to finish, or resume it (POST /admin/v1/bulk-actions/${busy}/resume) if its server stopped`,
      );
    }
    return this.#continue(action, context);
  }

  /** Finishes an action a run left unfinished (a crash); a finished one is shown without secrets. */
  async resume(actionId: string, context: AuditContext): Promise<BulkResult> {
    const action = await this.store.find(actionId);
    if (!action) throw notFound('Bulk action');
    return this.#continue(action, context);
  }

  async get(actionId: string): Promise<BulkResult> {
    const action = await this.store.find(actionId);
    if (!action) throw notFound('Bulk action');
    return resultOf(action, await this.store.items(actionId), () => null, true);
  }

  async #earlier(idempotency: BulkIdempotency): Promise<BulkActionTable | undefined> {
    const earlier = await this.store.findByIdempotencyKey(idempotency.actorId, idempotency.key);
    if (earlier && earlier.request_hash !== idempotency.requestHash)
      throw new ApiError('idempotency_key_reused', 'This Idempotency-Key was used with a different request');
    return earlier;
  }

  async #continue(action: BulkActionTable, context: AuditContext): Promise<BulkResult> {
    if (action.status === 'done') return { ...(await this.get(action.id)), replayed: true };
    for (const item of await this.store.items(action.id)) {
      if (item.state === 'pending') await this.#change(action, item, context);
    }
    await this.#notify(action);
    return this.#finish(action, context);
  }

  /** One credential: its change and its item's `done` commit together, or neither does. */
  async #change(action: BulkActionTable, item: BulkActionItemTable, context: AuditContext): Promise<void> {
    const source = this.#deps.sources.find((s) => s.kind === item.credential_kind);
    if (!source) throw new Error(`no credential source for ${item.credential_kind}`);
    const verb = action.action as BulkVerb;
    const now = Date.now();
    const overlap = verb === 'rotate' ? Number(action.overlap_seconds ?? 0) : 0;
    const claim: IdempotencyClaim = {
      take: (trx) => this.store.takeItem(trx, action.id, item.credential_id),
      complete: async (trx, result) => {
        const secret = verb === 'rotate' || source.revokeReplacesSecret ? source.secretOf(result) : null;
        await this.store.completeItem(trx, action.id, item.credential_id, {
          outcome: outcomeOf(verb, source.revokeReplacesSecret),
          secretSealed:
            secret === null
              ? null
              : this.#deps.envelope.seal(secret, sealContext(action.id, item.credential_id)),
          oldSecretsEnd: verb === 'rotate' || source.revokeReplacesSecret ? now + overlap * 1000 : null,
          finishedAt: now,
        });
      },
    };
    const claimed: AuditContext = { ...context, idempotency: claim };
    try {
      if (verb === 'rotate') await source.rotate(item.credential_id, overlap, claimed);
      else await source.revoke(item.credential_id, action.reason ?? 'incident response', claimed);
    } catch (error) {
      if (error instanceof IdempotencyKeyTaken) return; // another run changed it already
      if (!(error instanceof ApiError)) throw error;
      await this.store.failItem(action.id, item.credential_id, error.code, now);
    }
  }

  /** One event per integrator and environment, for the credentials not yet told of. */
  async #notify(action: BulkActionTable): Promise<void> {
    const verb = action.action as BulkVerb;
    const groups = new Map<string, BulkActionItemTable[]>();
    for (const item of await this.store.items(action.id)) {
      if (item.state !== 'done' || item.notified === 1) continue;
      const group = `${item.integrator_id}\n${item.environment}`;
      groups.set(group, [...(groups.get(group) ?? []), item]);
    }
    for (const items of groups.values()) {
      const first = items[0] as BulkActionItemTable;
      await this.#deps.notify({
        type: verb === 'rotate' ? CREDENTIAL_ROTATED_EVENT.name : CREDENTIAL_REVOKED_EVENT.name,
        integratorId: first.integrator_id,
        environment: first.environment as Environment,
        data: {
          action_id: action.id,
          incident_id: action.incident_id,
          credentials: items.map((i) => ({
            id: i.credential_id,
            kind: i.credential_kind,
            name: i.name,
            old_secrets_end:
              i.old_secrets_end === null ? null : new Date(Number(i.old_secrets_end)).toISOString(),
          })),
        },
      });
      await this.store.markNotified(
        action.id,
        items.map((i) => i.credential_id),
      );
    }
  }

  async #finish(action: BulkActionTable, context: AuditContext): Promise<BulkResult> {
    const finished = await this.#deps.db.transaction().execute(async (trx) => {
      const now = Date.now();
      // Another run of this action (the same Idempotency-Key, or a resume) finished it meanwhile:
      // its answer holds the secrets; this one repeats the outcome, as for a finished action.
      if (!(await this.store.takeFinish(trx, action.id, now))) return null;
      const items = await this.store.items(action.id, trx);
      const reveal = (item: BulkActionItemTable) =>
        item.secret_sealed === null
          ? null
          : this.#deps.envelope.openText(item.secret_sealed, sealContext(action.id, item.credential_id));
      const result = resultOf({ ...action, status: 'done', finished_at: now }, items, reveal, false);
      await this.store.forgetSecrets(trx, action.id);
      await this.#deps.audit.append(trx, {
        ...context,
        action: `bulk_action.${action.action}.finish`,
        target: { type: 'bulk_action', id: action.id },
        after: { counts: result.counts, incident_id: action.incident_id },
      });
      if (action.incident_id !== null)
        await this.#deps.incidents.recordAction(
          trx,
          action.incident_id,
          action.id,
          {
            verb: action.action,
            status: 'done',
            selection: result.selection,
            overlap_seconds: result.overlap_seconds,
            counts: result.counts,
            credentials: result.credentials.map(({ secret: _secret, ...rest }) => rest),
          },
          context,
        );
      return result;
    });
    return finished ?? { ...(await this.get(action.id)), replayed: true };
  }
}
