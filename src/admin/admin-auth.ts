import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../http/api-error.ts';
import type { SecurityEvents } from '../monitor/security-events.ts';
import { clientNetworkOf } from '../net/client-network.ts';
import type { AdminRole } from './admin-token.ts';
import { roleAllows } from './admin-token.ts';
import type { AdminTokenService, AuthenticatedAdmin } from './admin-token-service.ts';
import type { AuthFailureThrottle } from './auth-failure-throttle.ts';
import { adminTokenRefusal } from './token-refusal.ts';

declare module 'fastify' {
  interface FastifyRequest {
    admin: AuthenticatedAdmin | null;
  }
  interface FastifyContextConfig {
    /** The least role a route needs; reads default to auditor, writes to admin. */
    role?: AdminRole;
    /** Routes that answer without a token (health, the OpenAPI document). */
    public?: boolean;
  }
}

const REALM = 'Bearer realm="gatehouse-admin"';
/** Long enough for a misplaced OAuth access token, so the refusal can say what it is. */
const BEARER = /^Bearer +([\x21-\x7e]{1,4096})$/;

export interface AdminAuthDeps {
  readonly tokens: AdminTokenService;
  /** Failed authentications per client network (brute-force protection). */
  readonly throttle: AuthFailureThrottle;
  /** Where failed authentications are recorded (aggregated: one row per client network and minute). */
  readonly securityEvents: SecurityEvents;
}

/**
 * Authenticates every admin request before its body is read: 401 for a missing or invalid token,
 * 400 for a malformed Authorization header, 403 when the token's role is too weak (C2, K9), and
 * 429 with `Retry-After` for a client network that failed too often (`AuthFailureThrottle`):
 * only failures count, and one network's failures never slow another's requests. Failures are
 * recorded as `admin_authentication_failed` security events, aggregated per network and minute.
 */
export function registerAdminAuth(app: FastifyInstance, deps: AdminAuthDeps): void {
  const { tokens, throttle, securityEvents } = deps;
  app.decorateRequest('admin', null);
  app.addHook('onRequest', async (request: FastifyRequest, _reply: FastifyReply) => {
    const config = request.routeOptions.config;
    if (config.public || request.routeOptions.url === undefined) return;
    const header = request.headers.authorization;
    if (header === undefined) {
      const detail =
        request.headers['x-api-key'] === undefined
          ? 'Send an admin token as Authorization: Bearer <token>'
          : 'X-API-Key carries API keys, which belong to the gateway; send an admin token as Authorization: Bearer <token>';
      throw new ApiError('missing_credentials', detail, { headers: { 'www-authenticate': REALM } });
    }
    const match = BEARER.exec(header);
    if (!match) {
      throw new ApiError('invalid_request', 'The Authorization header must be "Bearer <token>"', {
        headers: { 'www-authenticate': `${REALM}, error="invalid_request"` },
      });
    }
    const network = clientNetworkOf(request.ip);
    const attempt = throttle.check(network);
    const failed = (reason: 'invalid_token' | 'throttled') =>
      securityEvents.record(
        { event: 'admin_authentication_failed', source: 'admin', ip: network, details: { reason } },
        Date.now(),
        { aggregate: true },
      );
    if (!attempt.allowed) {
      await failed('throttled');
      const seconds = Math.max(1, Math.ceil(attempt.retryAfterMs / 1000));
      throw new ApiError(
        'authentication_throttled',
        `Too many failed authentications from this address; retry in ${seconds} s`,
        { headers: { 'retry-after': String(seconds) } },
      );
    }
    const admin = await tokens.authenticate(match[1] as string);
    if (!admin) {
      throttle.failed(network);
      await failed('invalid_token');
      const refusal = adminTokenRefusal(match[1] as string);
      throw new ApiError(refusal.code, refusal.detail, {
        headers: { 'www-authenticate': `${REALM}, error="invalid_token"` },
      });
    }
    const required =
      config.role ?? (request.method === 'GET' || request.method === 'HEAD' ? 'auditor' : 'admin');
    if (!roleAllows(admin.role, required)) {
      throw new ApiError('insufficient_role', `This action needs the ${required} role`);
    }
    request.admin = admin;
  });
}
