import { randomUUID } from 'node:crypto';
import type { SecureContextOptions } from 'node:tls';
import { reportingAuthFailures } from '../alerts/auth-failure-events.ts';
import { signatureFailureRoute } from '../alerts/signature-failure-route.ts';
import { selfRotationRoute } from '../credentials/self-rotation-route.ts';
import { type RunningGateway, startGateway } from '../gateway/start-gateway.ts';
import { createApiKeyStrategy } from '../keys/api-key-strategy.ts';
import { DEFAULT_OVERLAP_SECONDS } from '../keys/key-service.ts';
import { codeHostKeysOf } from '../leaks/code-host-keys.ts';
import { githubLeakRoute } from '../leaks/github-leak-route.ts';
import { LeakReportStore } from '../leaks/leak-report-store.ts';
import type { Logger } from '../log/logger.ts';
import { GatewayMetrics, type GatewayMetricsSnapshot } from '../metrics/gateway-metrics.ts';
import { oauthDataPath, startOAuth } from '../oauth/oauth.ts';
import { UsageCounter } from '../usage/usage-counter.ts';
import { startUsageFlusher } from '../usage/usage-flusher.ts';
import { UsageStore } from '../usage/usage-store.ts';
import { adminTokenExposure } from './admin-token-exposure.ts';
import { clientSecretExposure } from './client-secret-exposure.ts';
import type { DataPathServices } from './services.ts';

/** The running data path: the gateway, its metrics for a scrape, its usage records. */
export interface DataPath extends RunningGateway {
  metrics(): GatewayMetricsSnapshot;
  /** Writes the usage counted so far now; resolves once committed. */
  flushUsage(): Promise<void>;
}

/** Starts the data path of one instance on these services: the gateway with its strategies and OAuth's endpoints. */
export async function startDataPath(
  services: DataPathServices,
  tls: SecureContextOptions,
  logger: Logger,
): Promise<DataPath> {
  const { config } = services;
  const metrics = new GatewayMetrics();
  const counter = new UsageCounter(randomUUID());
  const usage = startUsageFlusher({
    counter,
    store: new UsageStore(services.database.db, services.database.dialect),
    settings: config.gateway.monitoring,
    sink: services.alerts,
    logger,
  });
  await startOAuth(services.oauth, {
    pollRevocations: services.database.dialect === 'postgres' && !services.redis,
  });
  const oauth = oauthDataPath(services.oauth, {
    config,
    redis: services.redis,
    securityEvents: services.securityEvents,
    logger,
  });
  const codeHostKeys = codeHostKeysOf(config.leaks, config.webhooks.extraCa);
  const strategies = [
    createApiKeyStrategy({
      verifier: services.credentials,
      keys: services.keys,
      keyPrefix: config.keyPrefix,
    }),
    oauth.strategy,
  ].map((strategy) => reportingAuthFailures(strategy, services.securityEvents));
  const gateway = await startGateway({
    config,
    tls,
    logger,
    strategies,
    exposureOnly: [
      adminTokenExposure(services.adminTokens),
      clientSecretExposure(services.oauth.registry, services.oauth.clients),
    ],
    publicRoutes: [
      ...oauth.publicRoutes,
      selfRotation(services),
      signatureFailureRoute(services.securityEvents),
      githubLeakRoute({
        leaks: services.leaks,
        reports: new LeakReportStore(services.database.db),
        config: config.leaks,
        keys: codeHostKeys,
      }),
    ],
    securityEvents: services.securityEvents,
    redis: services.redis,
    observe: (record, status) => {
      metrics.observe(record, status);
      const credentialId = record.caller?.credentialId ?? record.credentialId;
      if (credentialId !== null) counter.count(credentialId, record.ip, status, Date.now());
    },
  }).catch(async (error: unknown) => {
    await usage.close();
    await oauth.close();
    await codeHostKeys?.close();
    throw error;
  });
  services.oauth.audience.useDataUrl(gateway.url);
  return {
    ...gateway,
    metrics: () => metrics.snapshot(),
    flushUsage: () => usage.flush(),
    async close() {
      await gateway.close();
      await usage.close();
      await oauth.close();
      await codeHostKeys?.close();
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
          .rotate(id, overlap, context)
          .then(({ client, secret }) => ({ ...client, client_secret: secret })),
    },
    { defaultOverlapSeconds: DEFAULT_OVERLAP_SECONDS, maxOverlapSeconds: SELF_ROTATION_MAX_OVERLAP_SECONDS },
  );
}
