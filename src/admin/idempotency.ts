import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Envelope } from '../crypto/envelope.ts';
import type { Schema } from '../db/schema.ts';
import { ApiError } from '../http/api-error.ts';
import { IdempotencyRecords, type IdempotencyScope, type StoredResponse } from './idempotency-records.ts';

/** An admin POST that carries an Idempotency-Key no committed request has used yet. */
export interface IdempotentRequest {
  readonly scope: IdempotencyScope;
  readonly requestHash: string;
  readonly records: IdempotencyRecords;
}

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: IdempotentRequest | null;
  }
}

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * `Idempotency-Key` on POST (C8), the checks before a handler runs: a key already used by a
 * committed request replays that request's response (422 if the body differs); a new key is handed
 * to the route (`request.idempotency`), whose change takes it and stores its response in the
 * change's own transaction (see `respondToChange`). Keys are scoped to the admin token that sent
 * them and kept for `GATEHOUSE_RETENTION_IDEMPOTENCY` (1 day by default): the retention job purges
 * them off the request path.
 */
export function registerIdempotency(app: FastifyInstance, db: Kysely<Schema>, envelope: Envelope): void {
  const records = new IdempotencyRecords(db, envelope);
  app.decorateRequest('idempotency', null);

  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    const key = request.headers['idempotency-key'];
    if (request.method !== 'POST' || key === undefined || !request.admin) return;
    if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
      throw new ApiError('invalid_idempotency_key', 'Idempotency-Key must be 1-255 visible ASCII characters');
    }
    const pending: IdempotentRequest = {
      scope: { actorId: request.admin.tokenId, key },
      requestHash: createHash('sha256')
        .update(`${request.method} ${request.url}\n${JSON.stringify(request.body ?? null)}`)
        .digest('base64url'),
      records,
    };
    const replayed = await replayIfUsed(pending, reply);
    if (replayed) return replayed;
    request.idempotency = pending;
  });
}

/**
 * Answers with the response of the committed request that used this key (`Idempotent-Replayed:
 * true`), a 422 when that request had another body, or a 409 when its outcome was never stored;
 * undefined when no committed request used the key.
 */
export async function replayIfUsed(
  pending: IdempotentRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> {
  const record = await pending.records.find(pending.scope);
  if (!record) return undefined;
  if (record.requestHash !== pending.requestHash) {
    throw new ApiError('idempotency_key_reused', 'This Idempotency-Key was used with a different request');
  }
  // Only a version that stored the response after its commit left records without one: whether
  // that change committed is unknown, so running it again could make it twice.
  if (!record.response) {
    throw new ApiError(
      'idempotency_request_in_progress',
      'A request with this Idempotency-Key has no recorded outcome; check the resource, then retry with a new key',
    );
  }
  return sendStored(reply, record.response, { 'idempotent-replayed': 'true' });
}

/** Sends a stored (or just rendered) response exactly as it is kept. */
export function sendStored(
  reply: FastifyReply,
  response: StoredResponse,
  extraHeaders: Record<string, string> = {},
): FastifyReply {
  return reply
    .code(response.status)
    .headers({ ...response.headers, ...extraHeaders })
    .send(response.body);
}
