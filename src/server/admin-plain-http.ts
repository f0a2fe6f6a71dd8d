import type { AdminApp } from '../admin/admin-app.ts';
import { createClientAddressResolver } from '../gateway/client-address.ts';
import { createExposureHandler } from '../gateway/exposed-credential.ts';
import { createPlainHttpRefusal } from '../gateway/plain-http-listener.ts';
import { createApiKeyStrategy } from '../keys/api-key-strategy.ts';
import type { Logger } from '../log/logger.ts';
import { acceptPlainHttp } from '../net/plain-http-on-tls-port.ts';
import { createAccessTokenStrategy } from '../oauth/access-token-strategy.ts';
import { TLS_HANDSHAKE_TIMEOUT_MS } from '../tls/tls-policy.ts';
import { adminTokenExposure } from './admin-token-exposure.ts';
import { clientSecretExposure } from './client-secret-exposure.ts';
import type { Services } from './services.ts';

/**
 * Plain HTTP sent to the admin API's TLS port gets the data path's refusal (403 `https_required`
 * in plain HTTP), and every credential in it is treated as exposed as on the data path: admin
 * tokens, API keys, OAuth access tokens and client secrets (with their client id) are named in a `credential_over_plain_http` event
 * (source `admin`) and revoked when the gateway file's `plain_http.revoke_exposed_credentials` is
 * on. Call before the admin app listens.
 */
export function refusePlainHttpOnAdminPort(admin: AdminApp, services: Services, logger: Logger): void {
  const { config } = services;
  const exposure = createExposureHandler({
    strategies: [
      adminTokenExposure(services.adminTokens),
      clientSecretExposure(services.oauth.registry, services.oauth.clients),
      createApiKeyStrategy({
        verifier: services.credentials,
        keys: services.keys,
        keyPrefix: config.keyPrefix,
      }),
      createAccessTokenStrategy({
        tokens: services.oauth.tokens,
        revoked: services.oauth.revoked,
        registry: services.oauth.registry,
      }),
    ],
    securityEvents: services.securityEvents,
    revoke: config.gateway.plainHttp.revokeExposedCredentials,
    source: 'admin',
    logger,
  });
  const refusal = createPlainHttpRefusal({
    resolver: createClientAddressResolver(config.gateway.trustedProxies),
    exposure,
    logger,
    channel: 'plain_http_on_tls_port',
    deadlineMs: TLS_HANDSHAKE_TIMEOUT_MS,
  });
  acceptPlainHttp(admin.server, refusal, { firstByteTimeoutMs: TLS_HANDSHAKE_TIMEOUT_MS });
}
