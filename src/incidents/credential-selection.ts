import { isIP } from 'node:net';
import type { AuditContext } from '../audit/audit-context.ts';
import type { Environment } from '../environments/environment.ts';
import { type FieldError, invalidRequest } from '../http/api-error.ts';

/** The kinds of credential a bulk action reaches. */
export const BULK_KINDS = ['api_key', 'oauth_client', 'webhook_endpoint'] as const;
export type BulkKind = (typeof BULK_KINDS)[number];

/** Which credentials a bulk action takes, as the admin API receives it (every field narrows). */
export interface Selection {
  readonly environment?: Environment | undefined;
  readonly integrator_id?: string | undefined;
  readonly created_after?: string | undefined;
  readonly created_before?: string | undefined;
  /** With `used_since`: credentials used from this address at or after that time (usage records). */
  readonly used_from_ip?: string | undefined;
  readonly used_since?: string | undefined;
  readonly kinds?: readonly BulkKind[] | undefined;
}

/** A credential a bulk action may change, as its kind's service shows it (never a secret). */
export interface CandidateCredential {
  readonly kind: BulkKind;
  readonly id: string;
  readonly integratorId: string;
  readonly environment: Environment;
  readonly name: string;
  readonly createdAt: number;
}

/**
 * One kind of credential, as the composition root adapts its service: every credential that can
 * still be used (not revoked), its rotation and revocation (audited by the service, in the
 * transaction the context's claim joins), and the new secret in a rotation's result.
 */
export interface CredentialSource {
  readonly kind: BulkKind;
  /** Unrevoked credentials, narrowed by the filters the service's list takes itself. */
  usable(filter: {
    environment?: Environment | undefined;
    integratorId?: string | undefined;
  }): Promise<CandidateCredential[]>;
  rotate(id: string, overlapSeconds: number, context: AuditContext): Promise<unknown>;
  /**
   * Ends the credential's use at once. A kind that cannot be revoked (webhook endpoints: they must
   * keep signing) replaces its secret with overlap 0 instead and says so with `replacesSecret`.
   */
  revoke(id: string, reason: string | null, context: AuditContext): Promise<unknown>;
  readonly revokeReplacesSecret: boolean;
  /** The new secret inside a rotation's result (null: the kind has none to show, e.g. Ed25519). */
  secretOf(result: unknown): string | null;
}

/** The credential ids used from an address since a time (usage records, L8). */
export type UsedFrom = (ip: string, since: number) => Promise<ReadonlySet<string>>;

/** A selection checked and made comparable: times as epoch ms, the address in canonical form. */
export interface ResolvedSelection {
  readonly environment: Environment | undefined;
  readonly integratorId: string | undefined;
  readonly createdAfter: number | undefined;
  readonly createdBefore: number | undefined;
  readonly usedFrom: { readonly ip: string; readonly since: number } | undefined;
  readonly kinds: readonly BulkKind[];
}

/**
 * Checks a selection (400 naming each bad field): at least one narrowing field, so "every credential
 * of every environment" is never one typo away; an address and its since time together.
 */
export function resolveSelection(selection: Selection): ResolvedSelection {
  const errors: FieldError[] = [];
  const time = (field: keyof Selection): number | undefined => {
    const value = selection[field];
    if (value === undefined) return undefined;
    const parsed = Date.parse(value as string);
    if (Number.isNaN(parsed)) errors.push({ field: `/${field}`, message: 'must be an ISO 8601 time' });
    return parsed;
  };
  const createdAfter = time('created_after');
  const createdBefore = time('created_before');
  const usedSince = time('used_since');
  let usedFrom: ResolvedSelection['usedFrom'];
  if ((selection.used_from_ip === undefined) !== (selection.used_since === undefined)) {
    const missing = selection.used_from_ip === undefined ? 'used_from_ip' : 'used_since';
    errors.push({ field: `/${missing}`, message: 'used_from_ip and used_since go together' });
  } else if (selection.used_from_ip !== undefined) {
    const ip = canonicalIp(selection.used_from_ip);
    if (ip === undefined) errors.push({ field: '/used_from_ip', message: 'must be an IPv4 or IPv6 address' });
    else if (usedSince !== undefined) usedFrom = { ip, since: usedSince };
  }
  const narrowed =
    selection.environment !== undefined ||
    selection.integrator_id !== undefined ||
    createdAfter !== undefined ||
    createdBefore !== undefined ||
    selection.used_from_ip !== undefined;
  if (!narrowed)
    errors.push({
      field: '/environment',
      message: 'name at least one of environment, integrator_id, created_after, created_before, used_from_ip',
    });
  if (errors.length > 0) throw invalidRequest(errors);
  return {
    environment: selection.environment,
    integratorId: selection.integrator_id,
    createdAfter,
    createdBefore,
    usedFrom,
    kinds: selection.kinds && selection.kinds.length > 0 ? [...new Set(selection.kinds)] : BULK_KINDS,
  };
}

/** The form the usage records keep an address in: IPv4 dotted, IPv6 compressed lowercase. */
export function canonicalIp(text: string): string | undefined {
  const mapped = text.toLowerCase().startsWith('::ffff:') ? text.slice(7) : text;
  if (isIP(mapped) === 4) return mapped;
  if (isIP(text) !== 6) return undefined;
  try {
    return new URL(`http://[${text}]`).hostname.slice(1, -1);
  } catch {
    return undefined; // a zone id (`fe80::1%eth0`) is an address no remote client is seen from
  }
}

/**
 * Every usable credential the selection takes, in a stable order (kind, then id). Webhook
 * endpoints are never used from an address, so a selection by address takes none of them.
 */
export async function selectCredentials(
  selection: ResolvedSelection,
  sources: readonly CredentialSource[],
  usedFrom: UsedFrom,
): Promise<CandidateCredential[]> {
  const used = selection.usedFrom ? await usedFrom(selection.usedFrom.ip, selection.usedFrom.since) : null;
  const chosen: CandidateCredential[] = [];
  for (const kind of BULK_KINDS) {
    const source = sources.find((s) => s.kind === kind);
    if (!source || !selection.kinds.includes(kind)) continue;
    const found = await source.usable({
      environment: selection.environment,
      integratorId: selection.integratorId,
    });
    const taken = found.filter(
      (c) =>
        (selection.environment === undefined || c.environment === selection.environment) &&
        (selection.integratorId === undefined || c.integratorId === selection.integratorId) &&
        (selection.createdAfter === undefined || c.createdAt >= selection.createdAfter) &&
        (selection.createdBefore === undefined || c.createdAt < selection.createdBefore) &&
        (used === null || used.has(c.id)),
    );
    chosen.push(...taken.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
  }
  return chosen;
}
