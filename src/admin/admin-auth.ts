import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditContext } from '../audit/audit-log.ts';
import { ApiError } from '../http/api-error.ts';
import type { AdminRole } from './admin-token.ts';
import { roleAllows } from './admin-token.ts';
import type { AdminTokenService, AuthenticatedAdmin } from './admin-token-service.ts';

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
const BEARER = /^Bearer +([\x21-\x7e]{1,512})$/;

/**
 * Authenticates every admin request before its body is read: 401 for a missing or invalid token,
 * 400 for a malformed Authorization header, 403 when the token's role is too weak (C2, K9).
 */
export function registerAdminAuth(app: FastifyInstance, tokens: AdminTokenService): void {
  app.decorateRequest('admin', null);
  app.addHook('onRequest', async (request: FastifyRequest, _reply: FastifyReply) => {
    const config = request.routeOptions.config;
    if (config.public || request.routeOptions.url === undefined) return;
    const header = request.headers.authorization;
    if (header === undefined) {
      throw new ApiError(401, 'missing_credentials', 'Send an admin token as Authorization: Bearer <token>', {
        headers: { 'www-authenticate': REALM },
      });
    }
    const match = BEARER.exec(header);
    if (!match) {
      throw new ApiError(400, 'invalid_request', 'The Authorization header must be "Bearer <token>"', {
        headers: { 'www-authenticate': `${REALM}, error="invalid_request"` },
      });
    }
    const admin = await tokens.authenticate(match[1] as string);
    if (!admin) {
      throw new ApiError(401, 'invalid_token', 'The admin token is not valid', {
        headers: { 'www-authenticate': `${REALM}, error="invalid_token"` },
      });
    }
    const required =
      config.role ?? (request.method === 'GET' || request.method === 'HEAD' ? 'auditor' : 'admin');
    if (!roleAllows(admin.role, required)) {
      throw new ApiError(403, 'insufficient_role', `This action needs the ${required} role`);
    }
    request.admin = admin;
  });
}

/** The audit context of an authenticated admin request. */
export function auditContextOf(request: FastifyRequest): AuditContext {
  const admin = request.admin;
  return {
    actor: admin
      ? { type: 'admin_token', id: admin.tokenId, name: admin.name }
      : { type: 'system', id: null, name: 'anonymous' },
    ip: request.ip,
    requestId: request.id,
  };
}
