import type { PublicRoute } from '../gateway/public-route.ts';
import type { AccessTokens } from './access-tokens.ts';
import type { EndpointGuard } from './endpoint-guard.ts';
import { OAuthError, readForm, sendOAuthError } from './oauth-http.ts';
import type { RevokedTokens } from './revoked-tokens.ts';

/**
 * `POST /oauth/revoke` (RFC 7009), client-authenticated: a client revokes one of its own access
 * tokens. As the RFC asks, an unknown, expired or foreign token still gets 200, so the endpoint
 * tells nobody which tokens exist.
 */
export function revocationEndpoint(deps: {
  guard: EndpointGuard;
  tokens: AccessTokens;
  revoked: RevokedTokens;
}): PublicRoute {
  return {
    method: 'POST',
    path: '/oauth/revoke',
    async handle(req, res, { ip }) {
      try {
        await deps.guard.limitIp(ip);
        const form = await readForm(req);
        const { client: caller } = await deps.guard.authenticate(req, form, ip, 'revoke');
        const token = form.get('token');
        if (token === undefined || token === '')
          throw new OAuthError(400, 'invalid_request', 'token is required');
        const check = await deps.tokens.verify(token);
        if (check.ok && check.claims.client_id === caller.id) {
          await deps.revoked.revoke(check.claims.jti, caller.id, check.claims.exp * 1000);
        }
        res.writeHead(200, { 'cache-control': 'no-store', 'content-length': 0 });
        res.end();
      } catch (error) {
        if (!(error instanceof OAuthError)) throw error;
        sendOAuthError(res, error);
      }
    },
  };
}
