import type { FastifyInstance } from 'fastify';
import type { MetricsRegistry } from './metrics-registry.ts';

/** `GET /metrics` on the admin port: Prometheus text; any admin token as Bearer (the default read role). */
export function registerMetricsRoute(app: FastifyInstance, metrics: MetricsRegistry): void {
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    const text = await metrics.render();
    return reply.type(metrics.contentType).send(text);
  });
}
