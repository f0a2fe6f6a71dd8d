import type { Kysely, UpdateResult } from 'kysely';
import type { AuditContext, AuditLog } from '../audit/audit-log.ts';
import { type AuditedChange, applyAuditedChange } from '../audit/audited-change.ts';
import type { Schema } from '../db/schema.ts';

/** The default overlap of a rotation (K3, W4): both secrets work for a day. */
export const DEFAULT_OVERLAP_SECONDS = 24 * 3600;

/** A stored secret: live from its creation until `expires_at` (null: until a rotation ends it). */
export interface SecretRow {
  readonly id: string;
  readonly created_at: number;
  readonly expires_at: number | null;
}

/** Whether a secret still verifies (or signs) at `now`. */
export function isLive(secret: Pick<SecretRow, 'expires_at'>, now: number): boolean {
  return secret.expires_at === null || secret.expires_at > now;
}

/** The secrets live at `now`: one, or several during a rotation's overlap. */
export function liveSecrets<S extends Pick<SecretRow, 'expires_at'>>(
  secrets: readonly S[],
  now: number,
): S[] {
  return secrets.filter((secret) => isLive(secret, now));
}

/** When the secrets in use stop working after a rotation at `now`. */
export function overlapEnd(now: number, overlapSeconds: number): number {
  return now + overlapSeconds * 1000;
}

/** A credential as its kind shows it: versioned (C4), and revoked or not. */
export interface CredentialState {
  readonly id: string;
  readonly version: number;
  readonly status?: string;
}

/**
 * What one kind of credential tells the mechanism: how to read it, how to end its live secrets and
 * issue a new one (its store and its secret format), and how to write its own row.
 */
export interface CredentialKind<T extends CredentialState> {
  /** The audit target type, e.g. `api_key`. */
  readonly target: string;
  /** The refusal of a rotation of a revoked credential. */
  notRotatable(): Error;
  load(db: Kysely<Schema>, id: string, now: number): Promise<T>;
  /** Ends every secret of `id` that is live past `until` at `until` (never lengthens one). */
  expireLiveSecrets(db: Kysely<Schema>, id: string, until: number): Promise<void>;
  /** Generates and stores a new secret for `credential`; returns it (the only time it is seen). */
  issueSecret(db: Kysely<Schema>, credential: T, now: number): Promise<string | null>;
  /** The guarded, version-bumping write of the credential's own row (`updateVersioned`). */
  update(db: Kysely<Schema>, before: T, columns: Record<string, unknown>): Promise<UpdateResult>;
  /** Told after every committed change, e.g. so caches on every instance forget the credential. */
  changed?(): void;
}

/** One audited change of a credential, for `RotatingSecrets.change`. */
export interface CredentialChange<T extends CredentialState, R> {
  readonly action: AuditedChange<T, R>['action'];
  readonly context: AuditContext;
  readonly expectedVersion?: number | undefined;
  readonly now?: number;
  apply: AuditedChange<T, R>['apply'];
  recordAfter?(after: T): unknown;
  result?(after: T): R;
}

/**
 * The one implementation of rotate-with-overlap and revoke for every credential with rotating
 * secrets (API keys, OAuth clients, webhook endpoints). Each change and its audit entry commit in
 * one transaction; the kind is told afterwards.
 */
export class RotatingSecrets<T extends CredentialState> {
  readonly #db: Kysely<Schema>;
  readonly #audit: AuditLog;
  readonly #kind: CredentialKind<T>;

  constructor(db: Kysely<Schema>, audit: AuditLog, kind: CredentialKind<T>) {
    this.#db = db;
    this.#audit = audit;
    this.#kind = kind;
  }

  /** Runs one audited change of credential `id` (read, If-Match, guarded write, audit entry). */
  async change<R = T>(id: string, change: CredentialChange<T, R>): Promise<R> {
    const now = change.now;
    const changed = await applyAuditedChange<T, R>(this.#db, this.#audit, {
      action: change.action,
      target: { type: this.#kind.target, id },
      context: change.context,
      expectedVersion: change.expectedVersion,
      load: (trx) => this.#kind.load(trx, id, now ?? Date.now()),
      apply: change.apply,
      ...(change.recordAfter ? { recordAfter: change.recordAfter } : {}),
      ...(change.result ? { result: change.result } : {}),
    });
    this.#kind.changed?.();
    return changed;
  }

  /**
   * Rotation (K3, W4): a new secret works at once; the secrets in use keep working until
   * `overlapSeconds` from now (never longer than they already would), then stop by themselves.
   * The audit entry records the overlap; a revoked credential cannot be rotated. `issued` makes the
   * result from the credential and its new secret inside the transaction (an idempotent retry gets
   * the response stored from it).
   */
  rotate<I>(
    id: string,
    overlapSeconds: number,
    action: string,
    context: AuditContext,
    issued: (credential: T, secret: string | null) => I,
  ): Promise<I> {
    const now = Date.now();
    let secret: string | null = null;
    return this.change<I>(id, {
      action,
      context,
      apply: async (trx, before) => {
        if (before.status === 'revoked') throw this.#kind.notRotatable();
        await this.#kind.expireLiveSecrets(trx, id, overlapEnd(now, overlapSeconds));
        secret = await this.#kind.issueSecret(trx, before, now);
        return this.#kind.update(trx, before, { updated_at: now });
      },
      recordAfter: (after) => ({ ...after, overlap_seconds: overlapSeconds }),
      result: (credential) => issued(credential, secret),
    });
  }

  /**
   * Revocation (K5): `columns` (e.g. `revoked_at`) are written at once, so the next use of any of
   * the credential's secrets fails on every instance; revoking a revoked credential changes nothing.
   */
  revoke(
    id: string,
    action: string,
    context: AuditContext,
    columns: (now: number) => Record<string, unknown>,
  ): Promise<T> {
    const now = Date.now();
    return this.change(id, {
      action,
      context,
      apply: (trx, before) =>
        before.status === 'revoked'
          ? Promise.resolve('unchanged' as const)
          : this.#kind.update(trx, before, { ...columns(now), updated_at: now }),
    });
  }
}

/**
 * A kind of credential that wave-2 operations (self-rotation, bulk incident rotation, leak
 * revocation) drive through one call per kind: each service implements it.
 */
export interface RotatingCredential<T, I> {
  /** The audit target type of the kind, e.g. `api_key`. */
  readonly kind: string;
  rotate(id: string, overlapSeconds: number, context: AuditContext): Promise<I>;
  /** Ends the credential's use at once; `reason` is kept where the kind stores one. */
  revoke?(id: string, reason: string | null, context: AuditContext): Promise<T>;
}
