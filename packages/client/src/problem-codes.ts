/**
 * Every problem `code` Gatehouse answers with, copied from the server's catalogue
 * (`src/http/problem-codes.ts`; the root test `test/client-problem-codes.test.ts` keeps them equal).
 * The package never imports server code.
 */
export const PROBLEM_CODES = [
  'bad_request',
  'invalid_request',
  'invalid_path',
  'path_parameters_not_allowed',
  'ambiguous_path',
  'invalid_host',
  'malformed_json',
  'validation_failed',
  'json_too_deep',
  'invalid_cursor',
  'invalid_if_match',
  'invalid_idempotency_key',
  'credential_missing',
  'missing_credentials',
  'key_malformed',
  'key_unknown',
  'key_revoked',
  'key_expired',
  'invalid_token',
  'token_invalid',
  'token_expired',
  'token_revoked',
  'wrong_credential_kind',
  'report_signature_invalid',
  'insufficient_scope',
  'insufficient_role',
  'ip_not_allowed',
  'wrong_environment',
  'integrator_disabled',
  'https_required',
  'route_not_found',
  'not_found',
  'method_not_allowed',
  'request_timeout',
  'key_not_rotatable',
  'self_rotation_not_supported',
  'client_revoked',
  'endpoint_disabled',
  'event_type_exists',
  'last_owner',
  'incident_closed',
  'bulk_action_conflict',
  'csrf_refused',
  'form_already_submitted',
  'audit_chain_broken',
  'idempotency_request_in_progress',
  'report_replayed',
  'precondition_failed',
  'body_too_large',
  'path_too_long',
  'unsupported_media_type',
  'idempotency_key_reused',
  'gateway_config_invalid',
  'url_not_allowed',
  'rate_limited',
  'usage_exhausted',
  'too_many_in_flight',
  'authentication_throttled',
  'headers_too_large',
  'internal_error',
  'bad_gateway',
  'upstream_not_configured',
  'gateway_not_running',
  'report_keys_unavailable',
  'gateway_timeout',
] as const;

/** A problem code from Gatehouse's catalogue. */
export type ProblemCode = (typeof PROBLEM_CODES)[number];

/** The RFC 6749 `error` values of the OAuth token endpoint. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'invalid_scope'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'slow_down';

/** What an error's `code` can be: a known code, or one a newer server added. */
export type ErrorCode = ProblemCode | OAuthErrorCode | (string & {});

const KNOWN: ReadonlySet<string> = new Set(PROBLEM_CODES);

/** Whether `code` is in the catalogue this package was built with. */
export function isProblemCode(code: string): code is ProblemCode {
  return KNOWN.has(code);
}
