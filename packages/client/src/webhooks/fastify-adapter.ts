import type { IncomingMessage } from 'node:http';
import { readLimited } from './node-adapter.ts';
import { createWebhookReceiver, type WebhookReceiverOptions } from './webhook-receiver.ts';

/** The little of Fastify's instance this plugin uses (the package depends on no framework). */
interface FastifyLike {
  removeAllContentTypeParsers(): void;
  addContentTypeParser(
    type: string,
    parser: (
      request: unknown,
      payload: IncomingMessage,
      done: (error: Error | null, body?: unknown) => void,
    ) => void,
  ): void;
  post(
    path: string,
    handler: (
      request: { raw: IncomingMessage; body: unknown; headers: IncomingMessage['headers']; ip: string },
      reply: {
        code(status: number): { headers(values: Record<string, string>): { send(body: string): unknown } };
      },
    ) => Promise<unknown>,
  ): unknown;
}

export interface FastifyWebhookOptions<T> extends WebhookReceiverOptions<T> {
  /** The route inside the plugin's prefix (default `/`). */
  readonly path?: string;
}

/**
 * A Fastify plugin with one POST route that receives Gatehouse webhooks. Inside its own
 * encapsulated scope it replaces the body parsers with one that keeps the raw stream, so the body
 * is verified byte for byte and read only up to the size limit.
 *
 * @example
 * app.register(fastifyWebhookPlugin({ secrets: process.env.WEBHOOK_SECRET, onEvent }), { prefix: '/webhooks' });
 */
export function fastifyWebhookPlugin<T = unknown>(
  options: FastifyWebhookOptions<T>,
): (instance: FastifyLike) => Promise<void> {
  const receive = createWebhookReceiver(options);
  return async (instance) => {
    instance.removeAllContentTypeParsers();
    instance.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    instance.post(options.path ?? '/', async (request, reply) => {
      const stream = (request.body as IncomingMessage | undefined) ?? request.raw;
      const answer = await receive({
        method: 'POST',
        headers: request.headers,
        ip: request.ip,
        readBody: (limit) => readLimited(stream, limit),
      });
      return reply.code(answer.status).headers(answer.headers).send(answer.body);
    });
  };
}
