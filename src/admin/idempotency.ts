import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Envelope } from '../crypto/envelope.ts';
import type { Schema } from '../db/schema.ts';
import { ApiError } from '../http/api-error.ts';

declare module 'fastify' {
  interface FastifyRequest {
    idempotency: { actorId: string; key: string } | null;
  }
}

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const RETENTION_MS = 24 * 3600 * 1000;
const ABANDONED_AFTER_MS = 5 * 60 * 1000;
const REPLAYED_HEADERS = ['content-type', 'location', 'etag'] as const;

interface StoredResponse {
  headers: Record<string, string>;
  body: string;
}

/**
 * `Idempotency-Key` on POST (C8): the first request with a key runs and its response is kept (sealed,
 * since a create returns a one-time secret) for 24 hours; a retry with the same key and body gets the
 * same response, a different body with the same key is a 422, and a retry while the first is still
 * running is a 409. Keys are scoped to the admin token that sent them.
 */
export function registerIdempotency(app: FastifyInstance, db: Kysely<Schema>, envelope: Envelope): void {
  let lastPurge = 0;
  app.decorateRequest('idempotency', null);

  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    const key = request.headers['idempotency-key'];
    if (request.method !== 'POST' || key === undefined || !request.admin) return;
    if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
      throw new ApiError(
        400,
        'invalid_idempotency_key',
        'Idempotency-Key must be 1-255 visible ASCII characters',
      );
    }
    const actorId = request.admin.tokenId;
    const now = Date.now();
    const requestHash = createHash('sha256')
      .update(`${request.method} ${request.url}\n${JSON.stringify(request.body ?? null)}`)
      .digest('base64url');
    if (now - lastPurge > 60_000) {
      lastPurge = now;
      await db
        .deleteFrom('idempotency_records')
        .where('created_at', '<', now - RETENTION_MS)
        .execute();
    }
    const inserted = await db
      .insertInto('idempotency_records')
      .values({
        actor_id: actorId,
        idempotency_key: key,
        request_hash: requestHash,
        status_code: null,
        response_sealed: null,
        created_at: now,
      })
      .onConflict((conflict) => conflict.columns(['actor_id', 'idempotency_key']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
      const record = await db
        .selectFrom('idempotency_records')
        .selectAll()
        .where('actor_id', '=', actorId)
        .where('idempotency_key', '=', key)
        .executeTakeFirstOrThrow();
      if (record.request_hash !== requestHash) {
        throw new ApiError(
          422,
          'idempotency_key_reused',
          'This Idempotency-Key was used with a different request',
        );
      }
      if (record.status_code === null || record.response_sealed === null) {
        if (now - record.created_at < ABANDONED_AFTER_MS) {
          throw new ApiError(
            409,
            'idempotency_request_in_progress',
            'A request with this Idempotency-Key is still running',
          );
        }
        await db
          .updateTable('idempotency_records')
          .set({ created_at: now })
          .where('actor_id', '=', actorId)
          .where('idempotency_key', '=', key)
          .execute();
      } else {
        const stored = JSON.parse(
          envelope.openText(record.response_sealed, sealContext(actorId, key)),
        ) as StoredResponse;
        return reply
          .code(record.status_code)
          .headers({ ...stored.headers, 'idempotent-replayed': 'true' })
          .send(stored.body);
      }
    }
    request.idempotency = { actorId, key };
  });

  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const pending = request.idempotency;
    if (!pending) return payload;
    request.idempotency = null;
    const where = db
      .updateTable('idempotency_records')
      .where('actor_id', '=', pending.actorId)
      .where('idempotency_key', '=', pending.key);
    if (reply.statusCode >= 500 || typeof payload !== 'string') {
      await db
        .deleteFrom('idempotency_records')
        .where('actor_id', '=', pending.actorId)
        .where('idempotency_key', '=', pending.key)
        .execute();
      return payload;
    }
    const headers: Record<string, string> = {};
    for (const name of REPLAYED_HEADERS) {
      const value = reply.getHeader(name);
      if (value !== undefined) headers[name] = String(value);
    }
    const sealed = envelope.seal(
      JSON.stringify({ headers, body: payload } satisfies StoredResponse),
      sealContext(pending.actorId, pending.key),
    );
    await where.set({ status_code: reply.statusCode, response_sealed: sealed }).execute();
    return payload;
  });
}

function sealContext(actorId: string, key: string): string {
  return `idempotency:${actorId}:${key}`;
}
