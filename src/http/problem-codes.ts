/**
 * Every problem `code` Gatehouse answers with (the `code` of its RFC 9457 problem+json responses),
 * with its one HTTP status, a short title and what it means — the catalogue a client branches on,
 * as Fastify's `lib/errors.js` lists every `FST_ERR_*`. A code never changes its status; the README's
 * tables and `problem-codes.test.ts` are checked against this list.
 *
 * Not here: the `error` values of the OAuth endpoints (`invalid_client`, `invalid_grant`,
 * `slow_down`, …), which are RFC 6749's standard vocabulary in RFC 6749's response shape
 * (`oauth/oauth-http.ts`), and the codes the request log and delivery log record for requests
 * that got no problem answer (`client_closed`, `bad_gateway_mid_response`, delivery outcomes).
 */

/** Where a code can be answered: the data path (gateway listener) or the admin API. */
export type ProblemSurface = 'gateway' | 'admin';

export interface ProblemEntry {
  readonly status: number;
  readonly title: string;
  readonly meaning: string;
  readonly surfaces: readonly ProblemSurface[];
}

const GATEWAY = Object.freeze(['gateway'] as const);
const ADMIN = Object.freeze(['admin'] as const);
const BOTH = Object.freeze(['gateway', 'admin'] as const);

const entry = (
  status: number,
  title: string,
  meaning: string,
  surfaces: readonly ProblemSurface[],
): ProblemEntry => Object.freeze({ status, title, meaning, surfaces });

export const PROBLEM_CODES = Object.freeze({
  // 400
  bad_request: entry(
    400,
    'Bad request',
    'The request is not valid HTTP, or the framework could not process it',
    BOTH,
  ),
  invalid_request: entry(
    400,
    'Invalid request',
    'A malformed Authorization or X-API-Key header, or both, or one twice',
    BOTH,
  ),
  invalid_path: entry(
    400,
    'Invalid path',
    'A path an upstream could read differently: `..`, `//`, an encoded `/`, `\\`, controls',
    GATEWAY,
  ),
  path_parameters_not_allowed: entry(
    400,
    'Path parameters not allowed',
    'A `;` in the path of a route without `allow_path_parameters`',
    GATEWAY,
  ),
  ambiguous_path: entry(400, 'Ambiguous path', 'The path could be read as another route', GATEWAY),
  invalid_host: entry(
    400,
    'Invalid host',
    'A repeated Host header, or one that names no single host',
    GATEWAY,
  ),
  malformed_json: entry(400, 'Malformed JSON', 'The body is empty, not JSON, or nests too deep', BOTH),
  validation_failed: entry(
    400,
    'Validation failed',
    'The body does not match its schema; `errors` names each field',
    BOTH,
  ),
  json_too_deep: entry(400, 'JSON too deep', 'The JSON body nests deeper than the admin API accepts', ADMIN),
  invalid_cursor: entry(400, 'Invalid cursor', 'The pagination cursor is not one this API returned', ADMIN),
  invalid_if_match: entry(400, 'Invalid If-Match', 'If-Match is not one entity tag or `*`', ADMIN),
  invalid_idempotency_key: entry(
    400,
    'Invalid Idempotency-Key',
    'The Idempotency-Key is not 1-255 visible ASCII characters',
    ADMIN,
  ),
  // 401
  credential_missing: entry(
    401,
    'Credential missing',
    'The gateway got no API key and no Bearer token',
    GATEWAY,
  ),
  missing_credentials: entry(401, 'Missing credentials', 'The admin API got no admin token', ADMIN),
  key_malformed: entry(401, 'Key malformed', 'The API key fails its checksum', GATEWAY),
  key_unknown: entry(401, 'Key unknown', 'The API key is not known (or is from another deployment)', GATEWAY),
  key_revoked: entry(401, 'Key revoked', 'The API key was revoked', GATEWAY),
  key_expired: entry(401, 'Key expired', 'The API key has expired', GATEWAY),
  invalid_token: entry(401, 'Invalid token', 'A Bearer value that is no credential this surface takes', BOTH),
  token_invalid: entry(401, 'Token invalid', 'The OAuth access token fails its checks', GATEWAY),
  token_expired: entry(401, 'Token expired', 'The OAuth access token has expired', GATEWAY),
  token_revoked: entry(401, 'Token revoked', 'The OAuth access token (or its client) was revoked', GATEWAY),
  report_signature_invalid: entry(
    401,
    'Report signature invalid',
    "A leak report's GITHUB-PUBLIC-KEY-SIGNATURE does not verify with a configured code-host key",
    GATEWAY,
  ),
  wrong_credential_kind: entry(
    401,
    'Wrong credential kind',
    'A credential of another kind (by shape); `detail` says where it belongs',
    BOTH,
  ),
  // 403
  insufficient_scope: entry(
    403,
    'Insufficient scope',
    'The route needs a scope the credential lacks',
    GATEWAY,
  ),
  insufficient_role: entry(
    403,
    'Insufficient role',
    'The admin token’s role does not allow this action',
    ADMIN,
  ),
  csrf_refused: entry(
    403,
    'CSRF refused',
    'A console form from another origin, or without this session’s CSRF token',
    ADMIN,
  ),
  ip_not_allowed: entry(403, 'IP not allowed', 'The credential may not be used from this address', GATEWAY),
  self_rotation_not_supported: entry(
    403,
    'Self-rotation not supported',
    'This kind of credential cannot rotate itself over the data path',
    GATEWAY,
  ),
  wrong_environment: entry(
    403,
    'Wrong environment',
    'The credential belongs to the other environment',
    GATEWAY,
  ),
  integrator_disabled: entry(
    403,
    'Integrator disabled',
    'The integrator is disabled: nothing is done on its behalf (calls, new credentials, events)',
    BOTH,
  ),
  https_required: entry(
    403,
    'HTTPS required',
    'Plain HTTP is refused; a credential sent in it is exposed',
    BOTH,
  ),
  // 404
  route_not_found: entry(
    404,
    'Route not found',
    'No route of the gateway file matches (deny by default)',
    GATEWAY,
  ),
  not_found: entry(
    404,
    'Not found',
    'No such resource or endpoint (on the data path: a path under /gatehouse/ that names no endpoint)',
    BOTH,
  ),
  // 405
  method_not_allowed: entry(
    405,
    'Method not allowed',
    'The endpoint is answered by Gatehouse and takes only the methods in Allow',
    GATEWAY,
  ),
  // 408, 409
  request_timeout: entry(408, 'Request timeout', 'The headers or body arrived too slowly', BOTH),
  key_not_rotatable: entry(409, 'Key not rotatable', 'A revoked key cannot be rotated', BOTH),
  client_revoked: entry(409, 'Client revoked', 'A revoked OAuth client cannot get a new secret', BOTH),
  endpoint_disabled: entry(
    409,
    'Endpoint disabled',
    'Enable the webhook endpoint before replaying to it',
    ADMIN,
  ),
  event_type_exists: entry(409, 'Event type exists', 'An event type of this name exists already', ADMIN),
  form_already_submitted: entry(
    409,
    'Form already submitted',
    'This console form was sent before; it acted once and is not acted on again',
    ADMIN,
  ),
  last_owner: entry(409, 'Last owner', 'The last active owner token cannot be revoked', ADMIN),
  incident_closed: entry(
    409,
    'Incident closed',
    'The incident is closed: nothing more is recorded or done under it',
    ADMIN,
  ),
  bulk_action_conflict: entry(
    409,
    'Bulk action conflict',
    'Another bulk action is changing some of these credentials; wait for it, or resume it if its server stopped',
    ADMIN,
  ),
  report_replayed: entry(
    409,
    'Report replayed',
    'This exact leak report was answered already; nothing was done again',
    GATEWAY,
  ),
  audit_chain_broken: entry(
    409,
    'Audit chain broken',
    'The audit chain does not verify, so no checkpoint is signed; run `gatehouse audit verify`',
    ADMIN,
  ),
  idempotency_request_in_progress: entry(
    409,
    'Idempotent request in progress',
    'A request with this Idempotency-Key is running or has no recorded outcome',
    ADMIN,
  ),
  // 412-431
  precondition_failed: entry(
    412,
    'Precondition failed',
    'The resource changed since its ETag was read',
    ADMIN,
  ),
  body_too_large: entry(413, 'Body too large', 'The body exceeds what the endpoint accepts', BOTH),
  path_too_long: entry(414, 'Path too long', 'A path segment is longer than any identifier', ADMIN),
  unsupported_media_type: entry(415, 'Unsupported media type', 'The body is not application/json', BOTH),
  idempotency_key_reused: entry(
    422,
    'Idempotency-Key reused',
    'This Idempotency-Key was used with a different request',
    ADMIN,
  ),
  gateway_config_invalid: entry(
    422,
    'Gateway file invalid',
    'The gateway file has problems (`errors`); the running configuration stays',
    ADMIN,
  ),
  url_not_allowed: entry(
    422,
    'URL not allowed',
    'The webhook URL is not https or resolves to a refused address',
    ADMIN,
  ),
  rate_limited: entry(429, 'Rate limited', 'Over a token bucket; retry after Retry-After', GATEWAY),
  usage_exhausted: entry(429, 'Usage exhausted', 'The API key’s usage cap is used up', GATEWAY),
  too_many_in_flight: entry(
    429,
    'Too many in flight',
    'More requests in flight at once than allowed',
    GATEWAY,
  ),
  authentication_throttled: entry(
    429,
    'Authentication throttled',
    'Too many failed authentications from this network; retry after Retry-After',
    ADMIN,
  ),
  headers_too_large: entry(431, 'Headers too large', 'More or larger header fields than accepted', BOTH),
  // 5xx
  internal_error: entry(
    500,
    'Internal error',
    'Something failed on Gatehouse’s side; quote the request_id',
    BOTH,
  ),
  bad_gateway: entry(502, 'Bad gateway', 'The upstream cannot be reached or broke the connection', GATEWAY),
  upstream_not_configured: entry(
    503,
    'Upstream not configured',
    'No upstream is set for the caller’s environment',
    GATEWAY,
  ),
  gateway_not_running: entry(
    503,
    'Gateway not running',
    'The data path is not running; retry once it is',
    ADMIN,
  ),
  report_keys_unavailable: entry(
    503,
    'Code host keys unavailable',
    'The keys that sign leak reports could not be fetched; the code host sends the report again',
    GATEWAY,
  ),
  gateway_timeout: entry(504, 'Gateway timeout', 'The upstream did not answer in time', GATEWAY),
} satisfies Record<string, ProblemEntry>);

/** Every problem code Gatehouse answers with: what a client can branch on. */
export type ProblemCode = keyof typeof PROBLEM_CODES;

/** Whether a string is a code of the catalogue. */
export function isProblemCode(code: string): code is ProblemCode {
  return Object.hasOwn(PROBLEM_CODES, code);
}
