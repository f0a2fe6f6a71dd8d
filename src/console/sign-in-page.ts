import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AdminTokenService } from '../admin/admin-token-service.ts';
import { AuthFailureThrottle } from '../admin/auth-failure-throttle.ts';
import { auditContextOf } from '../audit/audit-context.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { Database } from '../db/database.ts';
import { ApiError } from '../http/api-error.ts';
import type { SecurityEvents } from '../monitor/security-events.ts';
import { clientNetworkOf } from '../net/client-network.ts';
import { expiredCookie, formOf, sessionCookie, sessionCookieOf } from './console-request.ts';
import type { ConsoleSessions } from './console-sessions.ts';
import { html } from './html.ts';
import { page, sendPage } from './layout.ts';

export interface SignInDeps {
  readonly sessions: ConsoleSessions;
  readonly adminTokens: AdminTokenService;
  readonly securityEvents: SecurityEvents;
  readonly database: Database;
  readonly audit: AuditLog;
}

const MAX_TOKEN_LENGTH = 512;

/** `/console/sign-in` and `/console/sign-out`: an admin token in, a session cookie out. */
export function registerSignInPages(scope: FastifyInstance, deps: SignInDeps): void {
  const { sessions, adminTokens, securityEvents, database, audit } = deps;
  const throttle = new AuthFailureThrottle();
  scope.addHook('onClose', async () => throttle.close());

  scope.get('/sign-in', { config: { consoleAccess: 'signed-out' } }, async (request, reply) => {
    if (request.consoleSession) return reply.redirect('/console/integrators', 303);
    const ended = (request.query as Record<string, unknown>).ended !== undefined;
    return sendPage(reply, 200, signInPage(ended ? 'Your session has ended; sign in again.' : null));
  });

  scope.post('/sign-in', { config: { consoleAccess: 'signed-out' } }, async (request, reply) => {
    const token = formOf(request).get('token')?.trim() ?? '';
    const network = clientNetworkOf(request.ip);
    const attempt = throttle.check(network);
    const failed = (reason: string) =>
      securityEvents.record(
        { event: 'admin_authentication_failed', source: 'console', ip: network, details: { reason } },
        Date.now(),
        { aggregate: true },
      );
    if (!attempt.allowed) {
      await failed('throttled');
      const seconds = Math.max(1, Math.ceil(attempt.retryAfterMs / 1000));
      throw new ApiError(
        'authentication_throttled',
        `Too many failed sign-ins from this address; retry in ${seconds} s`,
        {
          headers: { 'retry-after': String(seconds) },
        },
      );
    }
    const admin =
      token.length > 0 && token.length <= MAX_TOKEN_LENGTH
        ? await adminTokens.authenticate(token)
        : undefined;
    if (!admin) {
      throttle.failed(network);
      await failed('invalid_token');
      return sendPage(reply, 401, signInPage('That is not a valid admin token. Check it and try again.'));
    }
    const previous = sessionCookieOf(request);
    if (previous !== undefined) await sessions.end(previous);
    const sessionId = await sessions.start(admin);
    await recordSessionChange(
      database,
      audit,
      { admin, ip: request.ip, id: request.id },
      'console.sign_in',
      admin.tokenId,
    );
    return reply.header('set-cookie', sessionCookie(sessionId)).redirect('/console/integrators', 303);
  });

  scope.post('/sign-out', { config: { consoleAccess: 'auditor' } }, async (request, reply) => {
    const cookie = sessionCookieOf(request);
    if (cookie !== undefined) await sessions.end(cookie);
    const admin = request.consoleSession?.admin;
    if (admin) await recordSessionChange(database, audit, request, 'console.sign_out', admin.tokenId);
    return reply.header('set-cookie', expiredCookie()).redirect('/console/sign-in', 303);
  });
}

/** Sign-in and sign-out are audited like changes: who opened the console, from where, when. */
async function recordSessionChange(
  database: Database,
  audit: AuditLog,
  request: Pick<FastifyRequest, 'admin' | 'ip' | 'id'>,
  action: string,
  tokenId: string,
): Promise<void> {
  const context = auditContextOf(request);
  await database.db
    .transaction()
    .execute((trx) =>
      audit.append(trx, { ...context, action, target: { type: 'admin_token', id: tokenId } }),
    );
}

function signInPage(message: string | null) {
  return page({
    title: 'Sign in',
    session: null,
    body: html`${message ? html`<p class="problem" role="alert">${message}</p>` : ''}
<form method="post" action="/console/sign-in" class="stack">
<label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="off" required maxlength="${MAX_TOKEN_LENGTH}" autofocus>
<p class="hint">The token is exchanged for a session and is not kept in the browser. The session ends when idle, at its lifetime, or at sign-out.</p>
<button type="submit">Sign in</button>
</form>`,
  });
}
