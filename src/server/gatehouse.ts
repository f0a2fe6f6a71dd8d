import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { buildAdminApp } from '../admin/admin-app.ts';
import { SYSTEM_CONTEXT } from '../audit/audit-context.ts';
import type { AuditContext } from '../audit/audit-log.ts';
import { configSource } from '../config/config.ts';
import { dataDirExposure } from '../config/private-files.ts';
import { listenFailure } from '../config/startup-error.ts';
import { GatewayReloader, type GatewayReloadOutcome } from '../gateway/gateway-reloader.ts';
import { CREDENTIAL_REVOKED_EVENT, CREDENTIAL_ROTATED_EVENT } from '../incidents/bulk-events.ts';
import { CREDENTIAL_LEAKED_EVENT } from '../leaks/leak-event.ts';
import { createLogger, type Logger } from '../log/logger.ts';
import { MetricsRegistry } from '../metrics/metrics-registry.ts';
import { registerMetricsRoute } from '../metrics/metrics-route.ts';
import { ensureSigningKey } from '../oauth/oauth.ts';
import { Checklist } from '../ops/checklist.ts';
import { loadTlsCredentials } from '../tls/tls-credentials.ts';
import { refusePlainHttpOnAdminPort } from './admin-plain-http.ts';
import { registerAdminRoutes } from './admin-routes.ts';
import type { Config } from './config.ts';
import { startDataThread } from './data-thread.ts';
import { createServices, type Services } from './services.ts';

export interface RunningGatehouse {
  readonly services: Services;
  readonly adminUrl: string;
  readonly dataUrl: string;
  /** The plain-HTTP refusal listener (`GATEHOUSE_HTTP_PORT`), when open. */
  readonly plainHttpUrl: string | null;
  /** The CA file to trust when the development certificate is in use. */
  readonly developmentCaFile: string | null;
  /** An owner token generated at this start (no GATEHOUSE_ADMIN_TOKEN and no token yet). */
  readonly generatedOwnerToken: string | undefined;
  /**
   * Reads the gateway file again and serves it without a restart (SIGHUP, `gatehouse reload`);
   * an invalid file keeps the running one. `context` is who asked, for the audit trail.
   */
  reloadGateway(context: AuditContext): Promise<GatewayReloadOutcome>;
  /**
   * Stops: no new connections; requests in flight on the data path may finish (up to
   * `DRAIN_TIMEOUT_MS`), then storage closes. Calling it again returns the same promise.
   */
  close(): Promise<void>;
}

export interface StartOptions {
  readonly logger?: Logger;
  /** Whether an owner token may be generated when none exists (only when it can be shown to a person). */
  readonly mayGenerateOwnerToken?: boolean;
}

/**
 * Starts Gatehouse: storage, the admin API and the webhook deliveries in this thread, and the data
 * path in a thread of its own (`data-thread.ts`), each listener over TLS.
 */
export async function startGatehouse(config: Config, options: StartOptions = {}): Promise<RunningGatehouse> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const tls = await loadTlsCredentials(config);
  const changeChannel = `gatehouse-changes-${randomUUID()}`;
  const services = await createServices(config, logger, { changeChannel });
  const exposure = dataDirExposure(config.dataDir);
  if (exposure !== null) logger.warn(exposure);
  try {
    let generatedOwnerToken: string | undefined;
    if (config.adminToken || options.mayGenerateOwnerToken) {
      generatedOwnerToken = await services.adminTokens.ensureOwnerToken(config.adminToken);
    }
    const gatewayReloader = new GatewayReloader({
      source: configSource(config),
      running: config.gateway,
      database: services.database,
      audit: services.audit,
      logger,
    });
    const listeners: { name: string; url: string }[] = [];
    const checklist = new Checklist(config, createLogger, {
      endpoints: services.webhooks.endpoints,
      sinks: services.alertSinks.sinks,
      keys: services.keys.store,
      clients: services.oauth.clients.store,
      listeners: () => listeners,
    });
    const admin = await buildAdminApp(services, tls, logger, (app) =>
      registerAdminRoutes(app, services, gatewayReloader, checklist),
    );
    const metrics = new MetricsRegistry();
    registerMetricsRoute(admin, metrics);
    refusePlainHttpOnAdminPort(admin, services, logger);
    await admin.listen({ host: config.admin.host, port: config.admin.port }).catch((error: unknown) => {
      throw listenFailure(error, {
        portVariable: 'GATEHOUSE_ADMIN_PORT',
        hostVariable: 'GATEHOUSE_ADMIN_HOST',
        ...config.admin,
      });
    });
    // The revocation list and the rest of OAuth's data path live in the data path's thread.
    await ensureSigningKey(services.oauth);
    // The events Gatehouse itself publishes exist before anything can publish them.
    for (const event of [CREDENTIAL_LEAKED_EVENT, CREDENTIAL_ROTATED_EVENT, CREDENTIAL_REVOKED_EVENT])
      await services.webhooks.catalog.ensure(event, SYSTEM_CONTEXT);
    const data = await startDataThread({ config, tls, logger, changeChannel }).catch(
      async (error: unknown) => {
        await admin.close();
        throw error;
      },
    );
    services.oauth.audience.useDataUrl(data.url);
    gatewayReloader.attach(data);
    metrics.attach({
      gateway: () => data.metrics(),
      queueDepth: () => services.webhooks.queueDepth(),
      alerts: () => services.alerts.countsByRule(),
    });
    services.webhooks.worker.onAttempt((outcome) => metrics.incrementWebhookAttempt(outcome));
    const urlOf = (address: AddressInfo) =>
      `https://${address.family === 'IPv6' ? `[${address.address}]` : address.address === '0.0.0.0' ? '127.0.0.1' : address.address}:${address.port}`;
    const adminUrl = urlOf(admin.server.address() as AddressInfo);
    const dataUrl = data.url;
    listeners.push({ name: 'data port', url: dataUrl }, { name: 'admin port', url: adminUrl });
    services.webhooks.worker.start();
    services.alertSinks.start();
    services.auditCheckpoints.start();
    services.retention.start();
    let closing: Promise<void> | undefined;
    logger.info(
      { admin_url: adminUrl, data_url: dataUrl, mode: config.mode, database: services.database.dialect },
      'gatehouse started',
    );
    return {
      services,
      adminUrl,
      dataUrl,
      plainHttpUrl: data.plainHttpUrl,
      developmentCaFile: tls.developmentCaFile,
      generatedOwnerToken,
      reloadGateway: (context) => gatewayReloader.reload(context),
      close() {
        closing ??= (async () => {
          gatewayReloader.detach();
          await services.webhooks.close();
          await data.close();
          await admin.close();
          await services.close();
          logger.flush?.();
        })();
        return closing;
      },
    };
  } catch (error) {
    await services.close();
    throw error;
  }
}
