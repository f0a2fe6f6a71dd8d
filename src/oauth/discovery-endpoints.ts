import type { PublicRoute } from '../gateway/public-route.ts';
import type { TokenAudience } from './access-tokens.ts';
import { sendJson } from './oauth-http.ts';
import type { SigningKeys } from './signing-keys.ts';

/** `GET /.well-known/jwks.json`: the public keys of every token that may still be valid. */
export function jwksEndpoint(signingKeys: SigningKeys): PublicRoute {
  return {
    method: 'GET',
    path: '/.well-known/jwks.json',
    async handle(_req, res) {
      sendJson(res, 200, await signingKeys.jwks(), { 'cache-control': 'public, max-age=300' });
    },
  };
}

/** `GET /.well-known/oauth-authorization-server`: RFC 8414 server metadata. */
export function metadataEndpoint(audience: TokenAudience): PublicRoute {
  return {
    method: 'GET',
    path: '/.well-known/oauth-authorization-server',
    handle(_req, res) {
      const issuer = audience.issuer();
      const clientAuth = ['client_secret_basic', 'client_secret_post'];
      sendJson(
        res,
        200,
        {
          issuer,
          token_endpoint: `${issuer}/oauth/token`,
          jwks_uri: `${issuer}/.well-known/jwks.json`,
          introspection_endpoint: `${issuer}/oauth/introspect`,
          revocation_endpoint: `${issuer}/oauth/revoke`,
          grant_types_supported: ['client_credentials'],
          response_types_supported: [],
          token_endpoint_auth_methods_supported: clientAuth,
          introspection_endpoint_auth_methods_supported: clientAuth,
          revocation_endpoint_auth_methods_supported: clientAuth,
        },
        { 'cache-control': 'public, max-age=300' },
      );
    },
  };
}
