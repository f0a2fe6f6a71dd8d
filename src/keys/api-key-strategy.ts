import type { Actor } from '../audit/audit-log.ts';
import type {
  AuthContext,
  AuthFailure,
  AuthOutcome,
  AuthStrategy,
  Caller,
} from '../gateway/auth-strategy.ts';
import { misplacedCredentialFailure, wrongEnvironmentFailure } from '../gateway/credential-guidance.ts';
import { MARKER_ENVIRONMENT } from './api-key.ts';
import type { KeyService } from './key-service.ts';
import type {
  CredentialVerifier,
  VerifiedCredential,
  VerifyFailureReason,
  VerifyResult,
} from './verify-credential.ts';

const FAILURES: Readonly<Record<VerifyFailureReason, AuthFailure>> = {
  malformed: {
    status: 401,
    code: 'key_malformed',
    detail: 'The API key is not well-formed; check it for a typo',
  },
  unknown: { status: 401, code: 'key_unknown', detail: 'The API key is not recognised' },
  revoked: { status: 401, code: 'key_revoked', detail: 'The API key has been revoked' },
  expired: { status: 401, code: 'key_expired', detail: 'The API key has expired' },
  ip_not_allowed: {
    status: 403,
    code: 'ip_not_allowed',
    detail: 'The API key may not be used from this address',
  },
  wrong_environment: {
    status: 403,
    code: 'wrong_environment',
    detail: 'The API key belongs to another environment than this endpoint serves',
  },
  integrator_disabled: {
    status: 403,
    code: 'integrator_disabled',
    detail: 'The account this API key belongs to is disabled',
  },
  usage_exhausted: {
    status: 429,
    code: 'usage_exhausted',
    detail: 'The API key has used up its allowance of requests',
  },
};

const SYSTEM: Actor = Object.freeze({ type: 'system', id: null, name: 'gatehouse' });

/**
 * API keys as a strategy: `X-API-Key: <key>`, or `Authorization: Bearer <key>` when the value has
 * the shape of a Gatehouse credential (any other Bearer value is left to the next strategy, e.g.
 * OAuth access tokens). A credential of another kind or deployment is refused saying what it is.
 *
 * @example
 * const strategies = [createApiKeyStrategy({ verifier: services.credentials, keys: services.keys, keyPrefix: 'gate' })];
 */
export function createApiKeyStrategy(deps: {
  verifier: CredentialVerifier;
  keys: KeyService;
  keyPrefix: string;
}): AuthStrategy {
  // Any prefix: a Bearer credential of another deployment, or an admin token or client secret, is
  // claimed here so the refusal can say what it is (`misplacedCredentialFailure`).
  const keyShape = /^[a-z][a-z0-9]{1,15}_[a-z]{2,10}_[0-9A-Za-z]{49}$/;
  // The verifier hands out the same frozen credential object while it is cached, so the outcome
  // built from it can be reused: no allocation per request on the success path.
  const successes = new WeakMap<VerifiedCredential, AuthOutcome>();
  const failureOf = (reason: VerifyFailureReason, presented: string, context: AuthContext): AuthFailure => {
    if (reason === 'malformed')
      return misplacedCredentialFailure(presented, deps.keyPrefix) ?? FAILURES.malformed;
    if (reason === 'wrong_environment' && context.environment !== undefined) {
      const marker = presented.slice(
        deps.keyPrefix.length + 1,
        presented.indexOf('_', deps.keyPrefix.length + 1),
      );
      const environment = MARKER_ENVIRONMENT[marker];
      if (environment !== undefined)
        return wrongEnvironmentFailure('api_key', environment, context.environment);
    }
    return FAILURES[reason];
  };
  const toOutcome = (result: VerifyResult, presented: string, context: AuthContext): AuthOutcome => {
    if (!result.ok)
      return {
        ok: false,
        failure: failureOf(result.reason, presented, context),
        credentialId: result.credentialId,
        integratorId: result.integratorId,
      };
    let outcome = successes.get(result.credential);
    if (outcome === undefined) {
      const { id, integratorId, environment, scopes, rateLimit } = result.credential;
      const caller: Caller = Object.freeze({
        kind: 'api_key',
        credentialId: id,
        integratorId,
        environment,
        scopes,
        scope: scopes.join(' '),
        rateLimit,
        memo: {},
      });
      outcome = Object.freeze({ ok: true, caller });
      successes.set(result.credential, outcome);
    }
    return outcome;
  };
  return {
    name: 'api_key',
    authenticate(credential, context) {
      if (credential.via === 'bearer' && !keyShape.test(credential.value)) return null;
      const options =
        context.environment === undefined
          ? { ip: context.ip }
          : { ip: context.ip, environment: context.environment };
      const known = deps.verifier.verifyCached(credential.value, options);
      if (known !== null) return toOutcome(known, credential.value, context);
      return deps.verifier
        .verify(credential.value, options)
        .then((result) => toOutcome(result, credential.value, context));
    },
    async revokeExposed(_credential, credentialId, reason) {
      const key = await deps.keys.revoke(credentialId, reason, { actor: SYSTEM });
      return key.status === 'revoked';
    },
  };
}
