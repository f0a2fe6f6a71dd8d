import type { SecureContextOptions } from 'node:tls';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Envelope } from '../crypto/envelope.ts';
import type { Database } from '../db/database.ts';
import { uuid7 } from '../db/uuid7.ts';
import { ApiError } from '../http/api-error.ts';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from '../http/json-depth.ts';
import { fieldWithNul } from '../http/nul-character.ts';
import { ProblemSchema } from '../http/schemas.ts';
import { redactSecrets } from '../log/redact-secrets.ts';
import type { SecurityEvents } from '../monitor/security-events.ts';
import { TLS_HANDSHAKE_TIMEOUT_MS, TLS_SERVER_POLICY } from '../tls/tls-policy.ts';
import { registerAdminAuth } from './admin-auth.ts';
import type { AdminTokenService } from './admin-token-service.ts';
import { AuthFailureThrottle } from './auth-failure-throttle.ts';
import { answerClientError, answerFrameworkError } from './framework-refusals.ts';
import { registerIdempotency } from './idempotency.ts';
import { handleError, sendProblem } from './problem-replies.ts';
import { registerRequestLog } from './request-log.ts';
import { adminResponseHeaders } from './response-headers.ts';
import { schemaCompiler } from './validation.ts';

export type AdminApp = FastifyInstance;

const BODY_LIMIT = 1024 * 1024;
/** The whole request (headers and body) must arrive within this; a trickled body is cut (408). */
const REQUEST_TIMEOUT_MS = 30_000;

/** What the admin API's own conventions need: authentication, idempotency records, security events. */
export interface AdminAppDeps {
  readonly adminTokens: AdminTokenService;
  readonly securityEvents: SecurityEvents;
  readonly database: Database;
  readonly envelope: Envelope;
}

/**
 * The admin HTTP API (`/admin/v1/…`) over TLS: auth, conventions C1–C5 and C8, OpenAPI; each
 * feature's routes are registered by `registerRoutes` (the composition root's list).
 */
export async function buildAdminApp(
  services: AdminAppDeps,
  tls: SecureContextOptions,
  logger: Logger,
  registerRoutes: (app: AdminApp) => void,
): Promise<AdminApp> {
  const app = Fastify({
    // The timeouts go to Node's constructor too: set afterwards (as Fastify does), the request
    // timeout sits below the 60 s headers timeout Node already derived, and is not enforced.
    https: {
      ...tls,
      ...TLS_SERVER_POLICY,
      handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: 1_000,
    },
    loggerInstance: logger.child({ component: 'admin' }),
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    requestIdHeader: false,
    genReqId: () => uuid7(),
    bodyLimit: BODY_LIMIT,
    return503OnClosing: true,
    requestTimeout: REQUEST_TIMEOUT_MS,
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
  app.addHook('preValidation', async (request) => {
    for (const [part, value] of [
      ['body', request.body],
      ['querystring', request.query],
      ['params', request.params],
    ] as const) {
      const field = fieldWithNul(value);
      if (field === undefined) continue;
      const named = redactSecrets(`${part === 'body' ? '' : `${part}:`}${field}`).slice(0, 200);
      throw new ApiError('validation_failed', 'The request is not valid', {
        errors: [{ field: named, message: 'must not contain a NUL character' }],
      });
    }
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

  registerRoutes(app);
  return app;
}
