import type { IncomingMessage } from 'node:http';
import type { AuditContext } from '../audit/audit-log.ts';
import { sendProblem } from '../gateway/gateway-response.ts';
import type { PublicRoute } from '../gateway/public-route.ts';
import { readRequestBody } from '../gateway/request-body.ts';
import { ApiError } from '../http/api-error.ts';

/** Rotates one credential of a kind, keeping the current secret valid for the overlap: the new secret's view. */
export type SelfRotator = (
  credentialId: string,
  overlapSeconds: number,
  context: AuditContext,
) => Promise<Record<string, unknown>>;

export interface SelfRotationPolicy {
  /** The overlap when the caller names none. */
  readonly defaultOverlapSeconds: number;
  /** The longest overlap a credential may give itself; the operator's bound. */
  readonly maxOverlapSeconds: number;
}

const MAX_BODY_BYTES = 1024;
const SELF_ROTATION_PATH = '/gatehouse/v1/credentials/self/rotate';

/**
 * `POST /gatehouse/v1/credentials/self/rotate` (K11): the calling credential rotates itself over the
 * data path — an API key its key, an OAuth access token its client's secret. Body (optional):
 * `{ "overlap_seconds": n }`, at most the policy's bound. Answers 201 with the new secret (once) and
 * `previous_expires_at`, when the secret that made this call stops working. Audited as the credential.
 *
 * @example
 * selfRotationRoute({ api_key: (id, overlap, ctx) => rotateKeyView(id, overlap, ctx) }, policy)
 */
export function selfRotationRoute(
  rotators: Readonly<Record<string, SelfRotator>>,
  policy: SelfRotationPolicy,
): PublicRoute {
  return {
    method: 'POST',
    path: SELF_ROTATION_PATH,
    authenticated: true,
    async handle(req, res, context) {
      const { caller, requestId } = context;
      const refuse = (error: ApiError) =>
        sendProblem(
          res,
          requestId,
          error.status,
          error.code,
          error.message,
          null,
          error.errors === undefined ? undefined : { errors: error.errors },
        );
      const rotate = caller === null ? undefined : rotators[caller.kind];
      if (caller === null || rotate === undefined)
        return context.sendProblem(
          403,
          'self_rotation_not_supported',
          'This credential cannot rotate itself',
        );
      const overlap = await overlapOf(req, policy);
      if (overlap instanceof ApiError) return refuse(overlap);
      const now = Date.now();
      try {
        const issued = await rotate(caller.credentialId, overlap, {
          actor: { type: 'credential', id: caller.credentialId, name: caller.kind },
          ip: context.ip,
          requestId,
        });
        const body = JSON.stringify({
          ...issued,
          previous_expires_at: new Date(now + overlap * 1000).toISOString(),
        });
        res.writeHead(201, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'cache-control': 'no-store',
        });
        res.end(body);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        refuse(error);
      }
    },
  };
}

async function overlapOf(req: IncomingMessage, policy: SelfRotationPolicy): Promise<number | ApiError> {
  const read = await readRequestBody(req, MAX_BODY_BYTES);
  if (!read.ok) return new ApiError('body_too_large', `The body may hold at most ${MAX_BODY_BYTES} bytes`);
  if (read.body.length === 0) return policy.defaultOverlapSeconds;
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json')
    return new ApiError('unsupported_media_type', 'Send the body as application/json');
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(read.body));
  } catch {
    return new ApiError('malformed_json', 'The body is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    return invalid('', 'must be an object');
  const unknown = Object.keys(parsed).find((name) => name !== 'overlap_seconds');
  if (unknown !== undefined) return invalid(`/${unknown}`, 'is not a known field');
  const overlap = (parsed as { overlap_seconds?: unknown }).overlap_seconds;
  if (overlap === undefined) return policy.defaultOverlapSeconds;
  if (typeof overlap !== 'number' || !Number.isInteger(overlap) || overlap < 0)
    return invalid('/overlap_seconds', 'must be a whole number of seconds, 0 or more');
  if (overlap > policy.maxOverlapSeconds)
    return invalid('/overlap_seconds', `must be at most ${policy.maxOverlapSeconds} (the operator's bound)`);
  return overlap;
}

function invalid(field: string, message: string): ApiError {
  return new ApiError('validation_failed', 'The body is not valid', { errors: [{ field, message }] });
}
