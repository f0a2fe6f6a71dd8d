import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { AccessReviewReport } from '../access-review/access-review.ts';
import { roleAllows } from '../admin/admin-token.ts';
import type { AdminTokenService } from '../admin/admin-token-service.ts';
import type { AlertService } from '../alerts/alert-service.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { createKeyedHasher } from '../crypto/keyed-hash.ts';
import type { Secret } from '../crypto/secret.ts';
import type { Database } from '../db/database.ts';
import { ApiError } from '../http/api-error.ts';
import type { IntegratorService } from '../integrators/integrator-service.ts';
import type { KeyService } from '../keys/key-service.ts';
import type { SecurityEvents } from '../monitor/security-events.ts';
import type { ClientService } from '../oauth/client-service.ts';
import type { Webhooks } from '../webhooks/webhooks.ts';
import { registerAccessReviewPages } from './access-review-page.ts';
import { registerAlertPages } from './alerts-page.ts';
import { registerAuditPages } from './audit-page.ts';
import type { ChecklistReport } from './checklist-page.ts';
import { registerChecklistPage } from './checklist-page.ts';
import type { ConsoleConfig } from './console-config.ts';
import { assertSameOrigin, expiredCookie, formOf, parseForm, sessionCookieOf } from './console-request.ts';
import { ConsoleSessions } from './console-sessions.ts';
import { renderConsoleError, renderConsoleNotFound } from './error-page.ts';
import { registerEventTypePages } from './event-types-page.ts';
import { registerIntegratorPages } from './integrators-page.ts';
import { registerKeyPages } from './keys-page.ts';
import { registerOAuthClientPages } from './oauth-clients-page.ts';
import { registerSignInPages } from './sign-in-page.ts';
import { SubmittedForms } from './submitted-forms.ts';
import { registerWebhookPages } from './webhooks-page.ts';

/** The services the console's pages call: the same ones the admin API's routes use. */
export interface ConsoleDeps {
  readonly config: ConsoleConfig;
  /** Keys the session-id hash and the CSRF tokens (a purpose of its own is derived from it). */
  readonly pepper: Secret;
  readonly database: Database;
  readonly audit: AuditLog;
  readonly adminTokens: AdminTokenService;
  readonly securityEvents: SecurityEvents;
  readonly integrators: IntegratorService;
  readonly keys: KeyService;
  readonly oauth: { readonly clients: ClientService };
  readonly webhooks: Webhooks;
  readonly alerts: AlertService;
  /** The access review (K9): the same report as `GET /admin/v1/reports/access-review`. */
  readonly accessReview: () => Promise<AccessReviewReport>;
  /** The deployment checklist (`doctor`); the page says it is not available while this is absent. */
  readonly checklist?: (() => Promise<ChecklistReport>) | undefined;
}

const FORM_LIMIT = 64 * 1024;

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // Not no-referrer: with it, browsers send `Origin: null` on form posts and the origin check could not tell.
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const ASSETS = {
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
} as const;

/**
 * The console (O3) at `/console` on the admin port: server-rendered pages over the admin services,
 * signed in with an admin token exchanged for a session cookie. Console routes are public to the
 * admin API's bearer check; the session check here takes its place, and sets `request.admin` so
 * every change is audited as the signed-in admin.
 */
export function registerConsole(app: FastifyInstance, deps: ConsoleDeps): void {
  const sessions = new ConsoleSessions({
    db: deps.database.db,
    adminTokens: deps.adminTokens,
    hasher: createKeyedHasher(deps.pepper, 'console-session'),
    config: deps.config,
  });
  const submitted = new SubmittedForms(deps.config.sessionLifetimeMs);
  const assets = Object.fromEntries(
    Object.keys(ASSETS).map((name) => [name, readFileSync(new URL(`./assets/${name}`, import.meta.url))]),
  );

  app.register(
    async (scope) => {
      scope.decorateRequest('consoleSession', null);
      scope.addHook('onRoute', (route) => {
        route.config = { ...route.config, public: true };
      });
      scope.addContentTypeParser(
        'application/x-www-form-urlencoded',
        { parseAs: 'string', bodyLimit: FORM_LIMIT },
        (_request, body, done) => {
          try {
            done(null, parseForm(body as string));
          } catch (error) {
            done(error as Error, undefined);
          }
        },
      );
      scope.setErrorHandler(renderConsoleError);
      scope.setNotFoundHandler(renderConsoleNotFound);

      scope.addHook('onRequest', async (request, reply) => {
        const config = request.routeOptions.config;
        const access =
          config.consoleAccess ??
          (request.method === 'GET' || request.method === 'HEAD' ? 'auditor' : 'admin');
        if (request.method !== 'GET' && request.method !== 'HEAD') assertSameOrigin(request);
        const cookie = sessionCookieOf(request);
        const session = cookie === undefined ? undefined : await sessions.resume(cookie);
        request.consoleSession = session ?? null;
        if (session) request.admin = session.admin;
        if (access === 'signed-out') return;
        if (!session) {
          if (cookie !== undefined) reply.header('set-cookie', expiredCookie());
          return reply.redirect('/console/sign-in?ended=1', 303);
        }
        if (!roleAllows(session.admin.role, access)) {
          throw new ApiError(
            'insufficient_role',
            `This action needs the ${access} role; you are signed in as ${session.admin.role}`,
          );
        }
      });
      scope.addHook('preHandler', async (request) => {
        if (request.method !== 'POST') return;
        const form = formOf(request);
        const session = request.consoleSession;
        if (request.routeOptions.config.consoleAccess === 'signed-out' || !session) return;
        if (!sessions.csrfTokenMatches(session, form.get('_csrf'))) {
          throw new ApiError(
            'csrf_refused',
            'The form lacks this session’s CSRF token; reload the page and try again',
          );
        }
        const formId = form.get('_form');
        if (formId === undefined || formId.length < 16 || formId.length > 64) {
          throw new ApiError('csrf_refused', 'The form lacks its form id; reload the page and try again');
        }
        if (!submitted.claim(session.idHash, formId)) {
          throw new ApiError(
            'form_already_submitted',
            'This form was already sent and acted on once; nothing was done again',
          );
        }
      });
      scope.addHook('onSend', async (_request, reply, payload) => {
        reply.headers(SECURITY_HEADERS);
        return payload;
      });

      scope.get('/assets/:name', { config: { consoleAccess: 'signed-out' } }, async (request, reply) => {
        const name = (request.params as { name: string }).name;
        if (!Object.hasOwn(ASSETS, name)) return renderConsoleNotFound(request, reply);
        return reply.type(ASSETS[name as keyof typeof ASSETS]).send(assets[name]);
      });
      scope.get('/', async (_request, reply) => reply.redirect('/console/integrators', 303));

      registerSignInPages(scope, { sessions, ...deps });
      registerIntegratorPages(scope, deps);
      registerKeyPages(scope, deps);
      registerOAuthClientPages(scope, deps);
      registerAuditPages(scope, deps);
      registerWebhookPages(scope, deps);
      registerEventTypePages(scope, deps);
      registerAlertPages(scope, deps);
      registerChecklistPage(scope, deps);
      registerAccessReviewPages(scope, deps);
    },
    { prefix: '/console' },
  );
}
