import type { AuditContext } from '../audit/audit-log.ts';
import type { SecretHolder } from '../credentials/credential-rows.ts';
import { credentialHint, parseCredential } from '../crypto/key-format.ts';
import { ApiError } from '../http/api-error.ts';
import { redactSecrets } from '../log/redact-secrets.ts';
import type { SecurityEvents } from '../monitor/security-events.ts';
import type { IntegratorNotifier } from '../webhooks/integrator-notifier.ts';
import { CREDENTIAL_LEAKED_EVENT } from './leak-event.ts';

/** One kind of credential whose holder can be found from the secret itself (its keyed hash). */
export interface LeakLookup {
  /** `api_key`, `oauth_client`, `admin_token`: what a result names as `kind`. */
  readonly kind: string;
  /** The markers (`sk`, `csp`, `adm`, …) of this kind's secrets. */
  readonly markers: ReadonlySet<string>;
  holderOf(secret: string, now: number): Promise<SecretHolder | undefined>;
  /** Revokes the credential, audited under `context`; false when it may not be (the last owner token). */
  revoke(id: string, reason: string, context: AuditContext): Promise<boolean>;
}

export type LeakStatus = 'live' | 'revoked' | 'unknown';

/** What a check tells about one secret: no more than its state and, when known, its id. */
export interface LeakCheck {
  readonly hint: string;
  readonly kind: string;
  readonly status: LeakStatus;
  readonly credential_id: string | null;
}

export interface LeakAction extends LeakCheck {
  /** Revoked by this call (a live credential, when the policy revokes). */
  readonly revoked: boolean;
}

/** Where a leak was found: what the security event and the alert say. */
export interface LeakSource {
  /** `scan` (an operator's `gatehouse scan --revoke`) or `github` (a code host's report). */
  readonly reporter: string;
  /** The public place it was found (a code host's URL); never the secret. */
  readonly url?: string | undefined;
  readonly ip?: string | undefined;
}

const UNKNOWN_KIND = 'unknown';
/** What the admin API accepts as a revocation reason. */
const MAX_REASON_LENGTH = 500;

/**
 * Leaked credentials (O2, O5): finds who holds each presented secret without revealing more than
 * live / revoked / unknown and its id, and answers a leak — every live one is revoked (or only
 * flagged), with a `credential_leaked` security event (which raises the `credential_leaked` alert)
 * and a `credential.leaked` webhook event to the integrator that owns it.
 * A secret that fails its checksum or is of another deployment is `unknown` and changes nothing.
 */
export class LeakedCredentials {
  readonly #lookups: readonly LeakLookup[];
  readonly #prefix: string;
  readonly #events: SecurityEvents;
  readonly #notify: IntegratorNotifier;

  constructor(deps: {
    lookups: readonly LeakLookup[];
    keyPrefix: string;
    securityEvents: SecurityEvents;
    /** Tells the owning integrator (`credential.leaked`). */
    notify: IntegratorNotifier;
  }) {
    this.#lookups = deps.lookups;
    this.#prefix = deps.keyPrefix;
    this.#events = deps.securityEvents;
    this.#notify = deps.notify;
  }

  /** The state of each secret, in order. */
  async check(secrets: readonly string[], now = Date.now()): Promise<LeakCheck[]> {
    return Promise.all(secrets.map(async (secret) => (await this.#find(secret, now)).check));
  }

  /**
   * Answers a leak of each secret: a live one is revoked when `revoke` is set (else only flagged),
   * and every live one gets a `credential_leaked` security event. Revoked and unknown ones change
   * nothing, so a report sent twice acts once.
   */
  async answer(
    secrets: readonly string[],
    options: { readonly source: LeakSource; readonly revoke: boolean; readonly context: AuditContext },
    now = Date.now(),
  ): Promise<LeakAction[]> {
    const actions: LeakAction[] = [];
    for (const secret of secrets) {
      const { check, lookup, holder } = await this.#find(secret, now);
      if (check.status !== 'live' || lookup === undefined || holder === undefined) {
        actions.push({ ...check, revoked: false });
        continue;
      }
      const { source } = options;
      let revoked = false;
      if (options.revoke) {
        const outcome = await this.#revoke(lookup, holder.id, reasonOf(source), options.context, secret, now);
        if (outcome === 'revoked_meanwhile') {
          actions.push({ ...check, status: 'revoked', revoked: false });
          continue;
        }
        revoked = outcome === 'revoked';
      }
      await this.#events.record({
        event: 'credential_leaked',
        source: source.reporter,
        credentialId: holder.id,
        integratorId: holder.integratorId,
        ip: source.ip ?? null,
        details: { kind: check.kind, hint: check.hint, url: source.url ?? null, revoked },
      });
      if (holder.integratorId !== null && holder.environment !== null)
        await this.#notify({
          type: CREDENTIAL_LEAKED_EVENT.name,
          integratorId: holder.integratorId,
          environment: holder.environment,
          data: {
            credential_id: holder.id,
            kind: check.kind,
            hint: check.hint,
            revoked,
            reported_by: source.reporter,
            url: source.url ?? null,
          },
        });
      actions.push({ ...check, status: revoked ? 'revoked' : 'live', revoked });
    }
    return actions;
  }

  /**
   * Revokes, or says another change revoked it first (a concurrent report of the same credential
   * loses the version check): that one recorded the leak, so this one records nothing.
   */
  async #revoke(
    lookup: LeakLookup,
    id: string,
    reason: string,
    context: AuditContext,
    secret: string,
    now: number,
  ): Promise<'revoked' | 'kept' | 'revoked_meanwhile'> {
    try {
      return (await lookup.revoke(id, reason, context)) ? 'revoked' : 'kept';
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'precondition_failed')) throw error;
      const holder = await lookup.holderOf(secret, now);
      if (holder?.live === true) throw error;
      return 'revoked_meanwhile';
    }
  }

  async #find(
    secret: string,
    now: number,
  ): Promise<{ check: LeakCheck; lookup?: LeakLookup; holder?: SecretHolder }> {
    const parsed = parseCredential(secret);
    if (!parsed.ok)
      return { check: { hint: '', kind: UNKNOWN_KIND, status: 'unknown', credential_id: null } };
    const hint = credentialHint(secret);
    const { prefix, marker } = parsed.credential;
    const lookup = this.#lookups.find((candidate) => candidate.markers.has(marker));
    const kind = lookup?.kind ?? UNKNOWN_KIND;
    if (lookup === undefined || prefix !== this.#prefix)
      return { check: { hint, kind, status: 'unknown', credential_id: null } };
    const holder = await lookup.holderOf(secret, now);
    if (holder === undefined) return { check: { hint, kind, status: 'unknown', credential_id: null } };
    const status: LeakStatus = holder.live ? 'live' : 'revoked';
    return { check: { hint, kind, status, credential_id: holder.id }, lookup, holder };
  }
}

/** The revocation reason: where the leak was found, without any secret the URL may carry, bounded. */
function reasonOf(source: LeakSource): string {
  const where = source.url === undefined ? '' : ` at ${redactSecrets(source.url)}`;
  return `leaked (reported by ${source.reporter}${where})`.slice(0, MAX_REASON_LENGTH);
}
