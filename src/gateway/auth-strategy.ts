import type { Environment } from '../environments/environment.ts';
import type { RateLimit } from '../rate-limit/rate-limiter.ts';
import type { AuthFailure } from './auth-failure.ts';
import { misplacedCredentialFailure } from './credential-guidance.ts';
import type { PresentedCredential } from './presented-credential.ts';

export type { AuthFailure } from './auth-failure.ts';

/** Who is calling, whatever kind of credential proved it: what the pipeline authorizes and forwards. */
export interface Caller {
  /** `api_key` now; the OAuth work adds `oauth_access_token`. */
  readonly kind: string;
  readonly credentialId: string;
  readonly integratorId: string;
  readonly environment: Environment;
  readonly scopes: readonly string[];
  /** The same scopes as one space-delimited string (RFC 6749 §3.3), as forwarded in Gatehouse-Scopes. */
  readonly scope: string;
  /** This credential's own token bucket; null means the gateway default. */
  readonly rateLimit: RateLimit | null;
  /**
   * Set when the same caller object serves every request of a cached credential: where the rate
   * limiter keeps its reference to this credential's bucket, so a request finds it without a lookup
   * in a map of every key (`LimitMemo`).
   */
  readonly memo?: Record<symbol, unknown>;
}

export type AuthOutcome =
  | { readonly ok: true; readonly caller: Caller }
  | {
      readonly ok: false;
      readonly failure: AuthFailure;
      /** Set when the credential was identified (never the secret): for the log and exposure handling. */
      readonly credentialId?: string | undefined;
      readonly integratorId?: string | undefined;
    };

export interface AuthContext {
  /** The client address (after trusted-proxy resolution), for IP allowlists. */
  readonly ip: string;
  /** Set when the request came to a host that serves one environment only. */
  readonly environment: Environment | undefined;
}

/**
 * One way of proving who is calling. The gateway offers each presented credential to its
 * strategies in order; the first that recognises it decides.
 */
export interface AuthStrategy {
  readonly name: string;
  /**
   * The outcome for a credential of this strategy's kind (synchronously when memory can decide), or
   * `null`, synchronously, when the credential is not of its kind (the next strategy is asked).
   */
  authenticate(
    credential: PresentedCredential,
    context: AuthContext,
  ): Promise<AuthOutcome> | AuthOutcome | null;
  /**
   * Revokes a credential of this strategy's kind that was exposed (seen over plain HTTP), when the
   * operator asked for that; `credentialId` is what `authenticate` identified. True when revoked.
   */
  revokeExposed?(credential: PresentedCredential, credentialId: string, reason: string): Promise<boolean>;
}

const NOT_RECOGNISED: AuthOutcome = Object.freeze({
  ok: false,
  failure: Object.freeze({
    status: 401,
    code: 'invalid_token',
    detail: 'The credential is not recognised',
  } as const),
});

/**
 * Offers a credential to each strategy in turn; a credential no strategy claims is invalid, with
 * a hint where it belongs when its shape says what it is (`misplacedCredentialFailure`).
 */
export function authenticate(
  strategies: readonly AuthStrategy[],
  credential: PresentedCredential,
  context: AuthContext,
): Promise<AuthOutcome> | AuthOutcome {
  for (let i = 0; i < strategies.length; i++) {
    const outcome = (strategies[i] as AuthStrategy).authenticate(credential, context);
    if (outcome !== null) return outcome;
  }
  const misplaced = misplacedCredentialFailure(credential.value);
  return misplaced === null ? NOT_RECOGNISED : { ok: false, failure: misplaced };
}

/** The strategy that claims a credential, for exposure handling. */
export function strategyFor(
  strategies: readonly AuthStrategy[],
  credential: PresentedCredential,
  context: AuthContext,
): { strategy: AuthStrategy; outcome: Promise<AuthOutcome> | AuthOutcome } | null {
  for (const strategy of strategies) {
    const outcome = strategy.authenticate(credential, context);
    if (outcome !== null) return { strategy, outcome };
  }
  return null;
}
