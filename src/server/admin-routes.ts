import { registerAccessReviewRoute } from '../admin/access-review.ts';
import type { AdminApp } from '../admin/admin-app.ts';
import { registerAdminTokenRoutes } from '../admin/admin-token-routes.ts';
import { registerAlertRoutes } from '../alerts/alert-routes.ts';
import { registerAuditRoutes } from '../audit/audit-routes.ts';
import { registerConsole } from '../console/console-app.ts';
import type { GatewayReloader } from '../gateway/gateway-reloader.ts';
import { registerGatewayReloadRoute } from '../gateway/reload-route.ts';
import { registerIntegratorRoutes } from '../integrators/integrator-routes.ts';
import { registerKeyRoutes } from '../keys/key-routes.ts';
import { registerLeakRoutes } from '../leaks/leak-routes.ts';
import { registerSecurityEventRoutes } from '../monitor/security-event-routes.ts';
import { registerOAuthRoutes } from '../oauth/client-routes.ts';
import { registerWebhookRoutes } from '../webhooks/webhooks.ts';
import type { Services } from './services.ts';

/** Every feature's admin routes, each given only the service it uses. */
export function registerAdminRoutes(
  app: AdminApp,
  services: Services,
  gatewayReloader: GatewayReloader,
): void {
  registerIntegratorRoutes(app, { integrators: services.integrators });
  registerKeyRoutes(app, services.keys);
  registerAdminTokenRoutes(app, { adminTokens: services.adminTokens });
  registerAuditRoutes(app, { audit: services.audit, database: services.database });
  registerSecurityEventRoutes(app, { securityEvents: services.securityEvents });
  registerAlertRoutes(app, { alerts: services.alerts, sinks: services.alertSinks.sinks });
  registerAccessReviewRoute(app, {
    keys: services.keys,
    clients: services.oauth.clients,
    integrators: services.integrators,
  });
  registerOAuthRoutes(app, services.oauth);
  registerLeakRoutes(app, services.leaks);
  registerWebhookRoutes(app, { webhooks: services.webhooks });
  registerGatewayReloadRoute(app, gatewayReloader);
  registerConsole(app, { ...services, config: services.config.console, pepper: services.config.pepper });
}
