import type { SecureContextOptions } from 'node:tls';
import { selfRotationRoute } from '../credentials/self-rotation-route.ts';
import { type RunningGateway, startGateway } from '../gateway/start-gateway.ts';
import { createApiKeyStrategy } from '../keys/api-key-strategy.ts';
import { DEFAULT_OVERLAP_SECONDS } from '../keys/key-service.ts';
import type { Logger } from '../log/logger.ts';
import { oauthDataPath, startOAuth } from '../oauth/oauth.ts';
import { adminTokenExposure } from './admin-token-exposure.ts';
import { clientSecretExposure } from './client-secret-exposure.ts';
import type { DataPathServices } from './services.ts';

/** Starts the data path of one instance on these services: the gateway with its strategies and OAuth's endpoints. */
export async function startDataPath(
  services: DataPathServices,
  tls: SecureContextOptions,
  logger: Logger,
): Promise<RunningGateway> {
  const { config } = services;
  await startOAuth(services.oauth, {
    pollRevocations: services.database.dialect === 'postgres' && !services.redis,
  });
  const oauth = oauthDataPath(services.oauth, {
    config,
    redis: services.redis,
    securityEvents: services.securityEvents,
    logger,
  });
  const gateway = await startGateway({
    config,
    tls,
    logger,
    strategies: [
      createApiKeyStrategy({
        verifier: services.credentials,
        keys: services.keys,
        keyPrefix: config.keyPrefix,
      }),
      oauth.strategy,
    ],
    exposureOnly: [
      adminTokenExposure(services.adminTokens),
      clientSecretExposure(services.oauth.registry, services.oauth.clients),
    ],
    publicRoutes: [...oauth.publicRoutes, selfRotation(services)],
    securityEvents: services.securityEvents,
    redis: services.redis,
  }).catch(async (error: unknown) => {
    await oauth.close();
    throw error;
  });
  services.oauth.audience.useDataUrl(gateway.url);
  return {
    ...gateway,
    async close() {
      await gateway.close();
      await oauth.close();
    },
  };
}

/** The longest overlap a credential may give itself over the data path: a week. */
const SELF_ROTATION_MAX_OVERLAP_SECONDS = 7 * 24 * 3600;

function selfRotation(services: DataPathServices) {
  return selfRotationRoute(
    {
      api_key: (id, overlap, context) =>
        services.keys.rotate(id, overlap, context).then(({ key, secret }) => ({ ...key, key: secret })),
      oauth_access_token: (id, overlap, context) =>
        services.oauth.clients
          .rotateSecret(id, overlap, context)
          .then(({ client, secret }) => ({ ...client, client_secret: secret })),
    },
    { defaultOverlapSeconds: DEFAULT_OVERLAP_SECONDS, maxOverlapSeconds: SELF_ROTATION_MAX_OVERLAP_SECONDS },
  );
}
