import type { Environment, RateLimit } from './api-key.ts';

/** The answers of `CredentialVerifier` (`verify-credential.ts`). */
export type VerifyFailureReason =
  | 'malformed'
  | 'unknown'
  | 'revoked'
  | 'expired'
  | 'ip_not_allowed'
  | 'wrong_environment'
  | 'integrator_disabled'
  | 'usage_exhausted';

/** Who a verified API key belongs to and what it may do. */
export interface VerifiedCredential {
  readonly kind: 'api_key';
  readonly id: string;
  readonly integratorId: string;
  readonly environment: Environment;
  readonly scopes: readonly string[];
  readonly rateLimit: RateLimit | null;
}

export type VerifyResult =
  | { readonly ok: true; readonly credential: VerifiedCredential }
  | {
      readonly ok: false;
      readonly reason: VerifyFailureReason;
      /** Set when the secret matched a key, so failures can be attributed (never the secret itself). */
      readonly credentialId?: string;
      readonly integratorId?: string;
    };
