/**
 * The stack a Node team would build instead of Gatehouse, as `bench/gateway.ts` measures it:
 * Fastify 5 over node:https with the same certificate, `@fastify/reply-from` (undici) to the same
 * upstream, `@fastify/rate-limit` in memory with a limit never reached, an API-key check (SHA-256
 * of the presented key compared in constant time) and Fastify's pino request log to /dev/null.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyReplyFrom from '@fastify/reply-from';
import Fastify from 'fastify';
import pino from 'pino';

export async function startFastifyPeer(options: {
  upstreamUrl: string;
  tls: { cert: string | Buffer; key: string | Buffer };
  key: string;
}): Promise<string> {
  const expected = createHash('sha256').update(options.key).digest();
  const app = Fastify({
    https: { cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.2' },
    logger: { level: 'info', stream: pino.destination({ dest: '/dev/null', sync: true }) },
  });
  await app.register(fastifyRateLimit, { max: 1_000_000_000, timeWindow: 1000 });
  await app.register(fastifyReplyFrom, {
    base: options.upstreamUrl,
    undici: { connections: 128, pipelining: 1 },
  });
  app.addHook('preHandler', async (request, reply) => {
    const presented = request.headers['x-api-key'];
    const digest = createHash('sha256')
      .update(typeof presented === 'string' ? presented : '')
      .digest();
    if (!timingSafeEqual(digest, expected)) return reply.code(401).send({ code: 'unauthorized' });
  });
  app.get('/v1/orders/:id', (request, reply) => reply.from(request.url));
  await app.listen({ host: '127.0.0.1', port: 0 });
  return `https://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}
