/** Why a webhook was refused. Stable strings: receivers may branch on them and log them. */
export type WebhookFailureReason =
  | 'missing_headers'
  | 'malformed_headers'
  | 'invalid_signature'
  | 'timestamp_too_old'
  | 'timestamp_in_future'
  | 'replayed'
  | 'body_too_large'
  | 'malformed_json'
  | 'invalid_payload'
  | 'rate_limited'
  | 'method_not_allowed';

/** The error `verifyWebhook` throws: a `reason`, a generic message, never a secret or signature. */
export class WebhookVerificationError extends Error {
  readonly reason: WebhookFailureReason;
  /** For `invalid_payload`: what the validate function said is wrong. */
  readonly errors: readonly string[];

  constructor(reason: WebhookFailureReason, errors: readonly string[] = []) {
    super(`webhook refused: ${reason}`);
    this.name = 'WebhookVerificationError';
    this.reason = reason;
    this.errors = errors;
  }
}

/** The failures that mean "not signed by Gatehouse with a secret we trust" (reported to Gatehouse). */
export function isSignatureFailure(reason: WebhookFailureReason): boolean {
  return reason === 'invalid_signature' || reason === 'timestamp_too_old' || reason === 'timestamp_in_future';
}
