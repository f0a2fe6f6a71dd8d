import { createWebhookReceiver, type WebhookReceiverOptions } from './webhook-receiver.ts';

export interface FetchWebhookOptions<T> extends WebhookReceiverOptions<T> {
  /** The client's IP for the rate limit (Web `Request`s do not carry one), e.g. from the platform. */
  readonly clientIp?: (request: Request) => string | undefined;
}

async function readLimitedBody(request: Request, limit: number): Promise<Buffer | undefined> {
  if (request.body === null) return Buffer.alloc(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks);
    length += value.byteLength;
    if (length > limit) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
}

/**
 * A Web-standard `Request → Response` handler (Hono, Next.js route handlers, Deno, Bun) that
 * receives Gatehouse webhooks.
 *
 * @example
 * export const POST = fetchWebhookHandler({ secrets: process.env.WEBHOOK_SECRET, onEvent });
 */
export function fetchWebhookHandler<T = unknown>(
  options: FetchWebhookOptions<T>,
): (request: Request) => Promise<Response> {
  const receive = createWebhookReceiver(options);
  return async (request) => {
    const answer = await receive({
      method: request.method,
      headers: request.headers,
      ip: options.clientIp?.(request) ?? 'unknown',
      readBody: (limit) => readLimitedBody(request, limit),
    });
    return new Response(answer.body, { status: answer.status, headers: answer.headers });
  };
}
