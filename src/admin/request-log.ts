import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { redactUrl } from '../log/redact-url.ts';
import { userAgentForLog } from '../log/user-agent.ts';

/** One structured line per admin request (L1): never a header, never a body. */
export function registerRequestLog(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => logAdminRequest(request, reply));
}

/** Writes the line of one finished admin request (also for requests the router refused). */
export function logAdminRequest(request: FastifyRequest, reply: FastifyReply): void {
  request.log.info(
    {
      method: request.method,
      route: request.routeOptions.url ?? null,
      path: redactUrl(request.url),
      status: reply.statusCode,
      latency_ms: Math.round(reply.elapsedTime * 100) / 100,
      admin_token_id: request.admin?.tokenId ?? null,
      ip: request.ip,
      user_agent: userAgentForLog(request.headers['user-agent']),
    },
    'admin request',
  );
}
