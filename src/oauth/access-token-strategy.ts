import type { Environment } from '../environments/environment.ts';
import type { AuthFailure, AuthOutcome, AuthStrategy } from '../gateway/auth-strategy.ts';
import { wrongEnvironmentFailure } from '../gateway/credential-guidance.ts';
import type { ProblemCode } from '../http/problem-codes.ts';
import { type AccessTokens, looksLikeJwt, type TokenCheck } from './access-tokens.ts';
import { type ClientRegistry, tokenSecretLive } from './client-registry.ts';
import type { RevokedTokens } from './revoked-tokens.ts';

const failure = (status: 401 | 403, code: ProblemCode, detail: string): AuthFailure =>
  Object.freeze({ status, code, detail });

const INVALID = failure(401, 'token_invalid', 'The access token is not valid');
const EXPIRED = failure(401, 'token_expired', 'The access token has expired; request a new one');
const REVOKED = failure(401, 'token_revoked', 'The access token has been revoked');
const SECRET_ENDED = failure(
  401,
  'token_revoked',
  'The client secret this token was obtained with no longer works; request a new token',
);
const DISABLED = failure(403, 'integrator_disabled', 'The account this client belongs to is disabled');
const IP_NOT_ALLOWED = failure(403, 'ip_not_allowed', 'The client may not be used from this address');

const reject = (f: AuthFailure, credentialId?: string, integratorId?: string): AuthOutcome => ({
  ok: false,
  failure: f,
  credentialId,
  integratorId,
});

/**
 * OAuth access tokens as a gateway strategy: claims `Authorization: Bearer <JWT>`, then checks the
 * signature, `exp`, `iss` and `aud` (remembered per token), the revocation list, that the client is
 * still active and the secret the token was obtained with still works, and its environment and IP allowlist — the same rules as for API keys (K7, K8).
 *
 * @example
 * const strategies = [createApiKeyStrategy(…), createAccessTokenStrategy({ tokens, revoked, registry })];
 */
export function createAccessTokenStrategy(deps: {
  tokens: AccessTokens;
  revoked: RevokedTokens;
  registry: ClientRegistry;
}): AuthStrategy {
  const decide = async (
    check: TokenCheck,
    ip: string,
    environment: Environment | undefined,
  ): Promise<AuthOutcome> => {
    if (!check.ok) return reject(check.reason === 'expired' ? EXPIRED : INVALID);
    const { claims } = check;
    const client = await deps.registry.find(claims.client_id);
    if (!client || client.environment !== claims.environment || client.integratorId !== claims.integrator_id)
      return reject(INVALID);
    if (client.revoked || deps.revoked.isRevoked(claims.jti))
      return reject(REVOKED, client.id, client.integratorId);
    if (!tokenSecretLive(client, claims.secret_id, Date.now()))
      return reject(SECRET_ENDED, client.id, client.integratorId);
    if (!client.integratorActive) return reject(DISABLED, client.id, client.integratorId);
    if (environment !== undefined && environment !== claims.environment)
      return reject(
        wrongEnvironmentFailure('access_token', claims.environment, environment),
        client.id,
        client.integratorId,
      );
    if (!client.allowlist.allows(ip)) return reject(IP_NOT_ALLOWED, client.id, client.integratorId);
    return {
      ok: true,
      caller: {
        kind: 'oauth_access_token',
        credentialId: client.id,
        integratorId: client.integratorId,
        environment: claims.environment,
        scopes: claims.scope === '' ? [] : claims.scope.split(' '),
        scope: claims.scope,
        rateLimit: client.rateLimit,
      },
    };
  };
  return {
    name: 'oauth_access_token',
    authenticate(credential, context) {
      if (credential.via !== 'bearer' || !looksLikeJwt(credential.value)) return null;
      return deps.tokens
        .verify(credential.value)
        .then((check) => decide(check, context.ip, context.environment));
    },
    // An exposed access token is revoked by itself (its jti), not its client: the client secret was not exposed.
    async revokeExposed(credential, credentialId) {
      const check = await deps.tokens.verify(credential.value);
      if (!check.ok || check.claims.client_id !== credentialId) return false;
      await deps.revoked.revoke(check.claims.jti, check.claims.client_id, check.claims.exp * 1000);
      return true;
    },
  };
}
