import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IdempotencyClaim } from '../audit/audit-context.ts';
import { auditContextOf } from '../audit/audit-context.ts';
import type { AuditContext } from '../audit/audit-log.ts';
import { IdempotencyKeyTaken } from '../audit/change-transaction.ts';
import { ApiError } from '../http/api-error.ts';
import { replayIfUsed, sendStored } from './idempotency.ts';
import type { StoredResponse } from './idempotency-records.ts';

/** What a route answers for a change, before serialisation. */
export interface ChangeResponse {
  readonly status?: number;
  readonly location?: string;
  readonly etag?: string;
  readonly body: unknown;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Runs an admin change and answers with `render(result)`. With an `Idempotency-Key`, the key is
 * taken and the rendered response stored (sealed) inside the change's own transaction, so a crash
 * either loses both (the retry runs again) or keeps both (the retry gets this response); a second
 * request with the same key waits for the first and gets its response, never a second change.
 *
 * `change` must pass the context it is given to a `changeTransaction` (directly or through
 * `applyAuditedChange`) and return what that transaction returned.
 *
 * @example
 * async (request, reply) =>
 *   respondToChange(request, reply, (context) => integrators.create(request.body, context), (integrator) => ({
 *     status: 201, location: `/admin/v1/integrators/${integrator.id}`, body: integrator,
 *   }))
 */
export async function respondToChange<R>(
  request: FastifyRequest,
  reply: FastifyReply,
  change: (context: AuditContext) => Promise<R>,
  render: (result: R) => ChangeResponse,
): Promise<FastifyReply> {
  const context = auditContextOf(request);
  const pending = request.idempotency;
  if (!pending) return sendStored(reply, serialize(reply, render(await change(context))));
  let stored: StoredResponse | undefined;
  const claim: IdempotencyClaim = {
    take: (trx) => pending.records.take(trx, pending.scope, pending.requestHash, Date.now()),
    complete: async (trx, result) => {
      stored = serialize(reply, render(result as R));
      await pending.records.complete(trx, pending.scope, stored);
    },
  };
  try {
    const result = await change({ ...context, idempotency: claim });
    if (stored) return sendStored(reply, stored);
    // A change that never reached changeTransaction with its claim: a retry would run it again.
    request.log.error(
      { route: request.routeOptions.url },
      'change committed without its Idempotency-Key record',
    );
    return sendStored(reply, serialize(reply, render(result)));
  } catch (error) {
    if (!(error instanceof IdempotencyKeyTaken)) throw error;
    // A request with the same key committed while this one was on its way: answer with its response.
    const replayed = await replayIfUsed(pending, reply);
    if (replayed) return replayed;
    throw new ApiError('idempotency_request_in_progress', 'A request with this Idempotency-Key is running');
  }
}

/** Serialises the body with the route's response schema for the status, as Fastify would. */
function serialize(reply: FastifyReply, response: ChangeResponse): StoredResponse {
  const status = response.status ?? 200;
  const headers: Record<string, string> = { 'content-type': JSON_TYPE };
  if (response.location !== undefined) headers.location = response.location;
  if (response.etag !== undefined) headers.etag = response.etag;
  const serializer = reply.getSerializationFunction(String(status)) as
    | ((body: unknown) => string)
    | undefined;
  const body = serializer ? serializer(response.body) : JSON.stringify(response.body);
  return { status, headers, body };
}
