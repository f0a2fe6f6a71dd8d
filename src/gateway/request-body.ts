import type { IncomingMessage } from 'node:http';

/** A request body read whole, or why it could not be. */
export type ReadBody =
  | { readonly ok: true; readonly body: Buffer }
  | { readonly ok: false; readonly reason: 'too_large' | 'client_closed' };

const TOO_LARGE: ReadBody = Object.freeze({ ok: false, reason: 'too_large' });
const CLIENT_CLOSED: ReadBody = Object.freeze({ ok: false, reason: 'client_closed' });

/**
 * Reads a request body into memory, at most `limit` bytes: only for routes that must see the whole
 * body before the upstream does (a `body_schema`). Past the limit it stops reading at once and
 * leaves the rest unread (the caller answers and closes the connection); the request itself is
 * not destroyed, so an answer can still be written.
 */
export function readRequestBody(req: IncomingMessage, limit: number): Promise<ReadBody> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: ReadBody) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else {
        req.pause();
        finish(TOO_LARGE);
      }
    };
    const onEnd = () => finish({ ok: true, body: Buffer.concat(chunks, size) });
    const onClose = () => finish(CLIENT_CLOSED);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
    req.on('error', onClose);
  });
}
