import type { SecureContextOptions } from 'node:tls';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { registerAlertRoutes } from '../alerts/alert-routes.ts';
import { registerAuditRoutes } from '../audit/audit-routes.ts';
import { uuid7 } from '../db/uuid7.ts';
import type { GatewayReloader } from '../gateway/gateway-reloader.ts';
import { registerGatewayReloadRoute } from '../gateway/reload-route.ts';
import { ApiError } from '../http/api-error.ts';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from '../http/json-depth.ts';
import { ProblemSchema } from '../http/schemas.ts';
import { registerIntegratorRoutes } from '../integrators/integrator-routes.ts';
import { registerKeyRoutes } from '../keys/key-routes.ts';
import { registerSecurityEventRoutes } from '../monitor/security-event-routes.ts';
import { registerOAuthRoutes } from '../oauth/client-routes.ts';
import type { Services } from '../server/services.ts';
import { TLS_HANDSHAKE_TIMEOUT_MS, TLS_SERVER_POLICY } from '../tls/tls-policy.ts';
import { registerWebhookRoutes } from '../webhooks/webhooks.ts';
import { registerAccessReviewRoute } from './access-review.ts';
import { registerAdminAuth } from './admin-auth.ts';
import { registerAdminTokenRoutes } from './admin-token-routes.ts';
import { AuthFailureThrottle } from './auth-failure-throttle.ts';
import { answerClientError, answerFrameworkError } from './framework-refusals.ts';
import { registerIdempotency } from './idempotency.ts';
import { handleError, sendProblem } from './problem-replies.ts';
import { registerRequestLog } from './request-log.ts';
import { adminResponseHeaders } from './response-headers.ts';
import { schemaCompiler } from './validation.ts';

export type AdminApp = FastifyInstance;

const BODY_LIMIT = 1024 * 1024;

/** The admin HTTP API (`/admin/v1/…`) over TLS: auth, conventions C1–C5 and C8, routes, OpenAPI. */
export async function buildAdminApp(
  services: Services,
  tls: SecureContextOptions,
  logger: Logger,
  gatewayReloader: GatewayReloader,
): Promise<AdminApp> {
  const app = Fastify({
    https: { ...tls, ...TLS_SERVER_POLICY, handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS },
    loggerInstance: logger.child({ component: 'admin' }),
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    requestIdHeader: false,
    genReqId: () => uuid7(),
    bodyLimit: BODY_LIMIT,
    return503OnClosing: true,
    requestTimeout: 30_000,
    connectionTimeout: 10_000,
    routerOptions: { maxParamLength: 200 },
    // The router's own refusals (a bad percent-encoding, an over-long parameter) and requests the
    // HTTP parser refuses answer in the one problem+json shape, with a request id and a log line.
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  }) as unknown as AdminApp;

  app.setValidatorCompiler(schemaCompiler());
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, 404, 'not_found', 'No such endpoint'),
  );
  // JSON only (C1): anything else is a 415 before a handler runs.
  app.removeAllContentTypeParsers();
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (exceedsJsonDepth(text)) {
      done(new ApiError('json_too_deep', `JSON bodies may nest at most ${MAX_JSON_DEPTH} levels`), undefined);
      return;
    }
    parseJson(request, text, done);
  });
  app.addHook('onSend', async (request, reply, payload) => {
    reply.headers(adminResponseHeaders(request.id));
    return payload;
  });
  app.addSchema(ProblemSchema);

  const throttle = new AuthFailureThrottle();
  app.addHook('onClose', async () => throttle.close());
  registerAdminAuth(app, { tokens: services.adminTokens, throttle, securityEvents: services.securityEvents });
  registerIdempotency(app, services.database.db, services.envelope);
  registerRequestLog(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Gatehouse admin API',
        version: '1.0.0',
        description:
          'Manage integrators, API keys, admin tokens and the audit trail; reload the gateway file.',
      },
      components: { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } } },
      security: [{ adminToken: [] }],
    },
  });

  app.get('/healthz', { config: { public: true }, schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/admin/v1/openapi.json', { config: { public: true }, schema: { hide: true } }, async () =>
    app.swagger(),
  );

  registerIntegratorRoutes(app, services);
  registerKeyRoutes(app, services.keys);
  registerAdminTokenRoutes(app, services);
  registerAuditRoutes(app, services);
  registerSecurityEventRoutes(app, services);
  registerAlertRoutes(app, { alerts: services.alerts, sinks: services.alertSinks.sinks });
  registerAccessReviewRoute(app, {
    keys: services.keys,
    clients: services.oauth.clients,
    integrators: services.integrators,
  });
  registerOAuthRoutes(app, services.oauth);
  registerWebhookRoutes(app, services);
  registerGatewayReloadRoute(app, gatewayReloader);
  return app;
}
