import { buildAccessReview } from '../access-review/access-review.ts';
import { registerAccessReviewRoute } from '../access-review/access-review-routes.ts';
import type { AdminApp } from '../admin/admin-app.ts';
import { registerAdminTokenRoutes } from '../admin/admin-token-routes.ts';
import { registerAlertRoutes } from '../alerts/alert-routes.ts';
import { registerAuditRoutes } from '../audit/audit-routes.ts';
import { registerConsole } from '../console/console-app.ts';
import type { GatewayReloader } from '../gateway/gateway-reloader.ts';
import { registerGatewayReloadRoute } from '../gateway/reload-route.ts';
import { registerIncidentRoutes } from '../incidents/incident-routes.ts';
import { registerIntegratorRoutes } from '../integrators/integrator-routes.ts';
import { registerKeyRoutes } from '../keys/key-routes.ts';
import { registerLeakRoutes } from '../leaks/leak-routes.ts';
import { registerSecurityEventRoutes } from '../monitor/security-event-routes.ts';
import { registerOAuthRoutes } from '../oauth/client-routes.ts';
import type { Checklist } from '../ops/checklist.ts';
import { registerChecklistRoute } from '../ops/checklist-route.ts';
import { registerTimelineRoutes } from '../timeline/timeline-routes.ts';
import { registerWebhookRoutes } from '../webhooks/webhooks.ts';
import type { Services } from './services.ts';

/** Every feature's admin routes, each given only the service it uses. */
export function registerAdminRoutes(
  app: AdminApp,
  services: Services,
  gatewayReloader: GatewayReloader,
  checklist: Checklist,
): void {
  registerIntegratorRoutes(app, { integrators: services.integrators });
  registerKeyRoutes(app, services.keys);
  registerAdminTokenRoutes(app, { adminTokens: services.adminTokens });
  registerAuditRoutes(app, { audit: services.audit, database: services.database });
  registerSecurityEventRoutes(app, { securityEvents: services.securityEvents });
  registerAlertRoutes(app, { alerts: services.alerts, sinks: services.alertSinks.sinks });
  const accessReviewSources = {
    keys: services.keys,
    clients: services.oauth.clients,
    integrators: services.integrators,
    usage: services.usage,
    adminTokens: services.adminTokens,
    policy: services.config.alerts,
  };
  registerAccessReviewRoute(app, accessReviewSources);
  registerOAuthRoutes(app, services.oauth);
  registerLeakRoutes(app, services.leaks);
  registerWebhookRoutes(app, { webhooks: services.webhooks });
  registerGatewayReloadRoute(app, gatewayReloader);
  registerChecklistRoute(app, checklist);
  registerIncidentRoutes(app, { incidents: services.incidents, bulkActions: services.bulkActions });
  registerTimelineRoutes(app, { timeline: services.timeline });
  registerConsole(app, {
    ...services,
    config: services.config.console,
    pepper: services.config.pepper,
    checklist: () => checklist.run(),
    accessReview: () => buildAccessReview(accessReviewSources),
  });
}
