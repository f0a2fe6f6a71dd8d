import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createWebhookReceiver,
  type WebhookAnswer,
  type WebhookReceiverOptions,
} from './webhook-receiver.ts';

/** Reads a stream up to `limit` bytes; undefined as soon as it is longer. */
export function readLimited(stream: AsyncIterable<Uint8Array> & NodeJS.EventEmitter, limit: number) {
  return new Promise<Buffer | undefined>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const onData = (chunk: Buffer) => {
      length += chunk.length;
      if (length > limit) {
        cleanup();
        resolve(undefined);
      } else chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}

function send(res: ServerResponse, answer: WebhookAnswer): void {
  if (res.headersSent) return;
  res.writeHead(answer.status, answer.headers).end(answer.body);
}

/** A request as Express (or connect) hands it on: maybe with the body already read by `express.raw()`. */
type ExpressRequest = IncomingMessage & { body?: unknown; ip?: string };

function clientIp(req: ExpressRequest): string {
  return req.socket?.remoteAddress ?? 'unknown';
}

/**
 * A node:http request listener that receives Gatehouse webhooks.
 *
 * @example
 * createServer(tlsOptions, nodeHttpWebhookHandler({ secrets: process.env.WEBHOOK_SECRET, onEvent })).listen(8443);
 */
export function nodeHttpWebhookHandler<T = unknown>(
  options: WebhookReceiverOptions<T>,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const receive = createWebhookReceiver(options);
  return async (req, res) => {
    send(
      res,
      await receive({
        method: req.method ?? 'GET',
        headers: req.headers,
        ip: clientIp(req),
        readBody: (limit) => readLimited(req, limit),
      }),
    );
  };
}

/**
 * Express middleware that receives Gatehouse webhooks and answers itself. Mount it on its route
 * before any JSON body parser; with `express.raw({ type: '*\/*' })` in front it uses that raw body.
 * A body already parsed into an object cannot be verified and is a 500 (`next(error)`).
 *
 * @example
 * app.post('/webhooks', expressWebhookMiddleware({ secrets: process.env.WEBHOOK_SECRET, onEvent }));
 */
export function expressWebhookMiddleware<T = unknown>(
  options: WebhookReceiverOptions<T>,
): (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => Promise<void> {
  const receive = createWebhookReceiver(options);
  return async (req: ExpressRequest, res, next) => {
    const given = req.body;
    if (given !== undefined && !Buffer.isBuffer(given) && typeof given !== 'string' && req.readableEnded) {
      next(
        new Error(
          'the webhook body was parsed before verification: mount the receiver before express.json()',
        ),
      );
      return;
    }
    const readBody = async (limit: number) => {
      if (Buffer.isBuffer(given) || typeof given === 'string') {
        const body = Buffer.from(given);
        return body.length > limit ? undefined : body;
      }
      return readLimited(req, limit);
    };
    try {
      send(
        res,
        await receive({ method: req.method ?? 'GET', headers: req.headers, ip: clientIp(req), readBody }),
      );
    } catch (error) {
      next(error);
    }
  };
}
