import type { PublicRoute } from '../gateway/public-route.ts';
import type { AccessTokens } from './access-tokens.ts';
import { type ClientRegistry, tokenSecretLive } from './client-registry.ts';
import type { EndpointGuard } from './endpoint-guard.ts';
import { OAuthError, readForm, sendJson, sendOAuthError } from './oauth-http.ts';
import type { RevokedTokens } from './revoked-tokens.ts';

/** A client with this scope may introspect any client's tokens (a resource server); others only their own. */
export const INTROSPECT_SCOPE = 'gatehouse:introspect';

const INACTIVE = { active: false };

/**
 * `POST /oauth/introspect` (RFC 7662), client-authenticated. A token is active when its signature
 * and claims check out, it has not expired or been revoked, its client is still active and the
 * client secret it was obtained with still works.
 * Anything else — and another client's token, unless the caller may introspect — is `active: false`.
 */
export function introspectionEndpoint(deps: {
  guard: EndpointGuard;
  tokens: AccessTokens;
  revoked: RevokedTokens;
  registry: ClientRegistry;
}): PublicRoute {
  return {
    method: 'POST',
    path: '/oauth/introspect',
    async handle(req, res, { ip }) {
      try {
        await deps.guard.limitIp(ip);
        const form = await readForm(req);
        const { client: caller } = await deps.guard.authenticate(req, form, ip, 'introspect');
        const token = form.get('token');
        if (token === undefined || token === '')
          throw new OAuthError(400, 'invalid_request', 'token is required');
        const check = await deps.tokens.verify(token);
        if (!check.ok || deps.revoked.isRevoked(check.claims.jti)) return sendJson(res, 200, INACTIVE);
        const { claims } = check;
        if (claims.client_id !== caller.id && !caller.scopes.includes(INTROSPECT_SCOPE))
          return sendJson(res, 200, INACTIVE);
        const owner = await deps.registry.find(claims.client_id);
        if (
          !owner ||
          owner.revoked ||
          !owner.integratorActive ||
          !tokenSecretLive(owner, claims.secret_id, Date.now())
        )
          return sendJson(res, 200, INACTIVE);
        sendJson(res, 200, { active: true, token_type: 'Bearer', ...claims });
      } catch (error) {
        if (!(error instanceof OAuthError)) throw error;
        sendOAuthError(res, error);
      }
    },
  };
}
