import type { PublicRoute } from '../gateway/public-route.ts';
import type { AccessTokens } from './access-tokens.ts';
import type { ClientRegistry } from './client-registry.ts';
import type { EndpointGuard } from './endpoint-guard.ts';
import { OAuthError, readForm, sendJson, sendOAuthError } from './oauth-http.ts';

/** RFC 6749 §3.3: scope tokens are printable ASCII without space, `"` or `\`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/**
 * `POST /oauth/token` (RFC 6749 §4.4): the client credentials grant. The client authenticates with
 * client_secret_basic or client_secret_post and may narrow its scopes; anything more than it is
 * allowed is `invalid_scope`. Every response is `Cache-Control: no-store`.
 */
export function tokenEndpoint(deps: {
  guard: EndpointGuard;
  tokens: AccessTokens;
  registry: ClientRegistry;
}): PublicRoute {
  return {
    method: 'POST',
    path: '/oauth/token',
    async handle(req, res, { ip }) {
      try {
        await deps.guard.limitIp(ip);
        const form = await readForm(req);
        const grantType = form.get('grant_type');
        if (grantType === undefined) throw new OAuthError(400, 'invalid_request', 'grant_type is required');
        if (grantType !== 'client_credentials') {
          throw new OAuthError(
            400,
            'unsupported_grant_type',
            'Only the client_credentials grant is supported',
          );
        }
        const { client, secretId } = await deps.guard.authenticate(req, form, ip, 'token');
        const scopes = grantedScopes(form.get('scope'), client.scopes);
        const { token, claims } = await deps.tokens.issue(client, secretId, scopes);
        deps.registry.touch(client.id, Date.now());
        sendJson(res, 200, {
          access_token: token,
          token_type: 'Bearer',
          expires_in: claims.exp - claims.iat,
          scope: claims.scope,
        });
      } catch (error) {
        if (!(error instanceof OAuthError)) throw error;
        sendOAuthError(res, error);
      }
    },
  };
}

/** The requested scopes when all are allowed; all allowed scopes when none are asked for. */
function grantedScopes(requested: string | undefined, allowed: readonly string[]): string[] {
  if (requested === undefined) return [...allowed];
  const asked = requested.split(' ').filter((s) => s !== '');
  if (asked.length === 0 || asked.some((scope) => !SCOPE_TOKEN.test(scope))) {
    throw new OAuthError(400, 'invalid_scope', 'The scope parameter is malformed');
  }
  if (asked.some((scope) => !allowed.includes(scope))) {
    throw new OAuthError(400, 'invalid_scope', 'The requested scope exceeds what this client is allowed');
  }
  return [...new Set(asked)];
}
