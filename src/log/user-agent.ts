import { redactSecrets } from './redact-secrets.ts';

const MAX_USER_AGENT = 256;
/** Longer than any secret Gatehouse issues (its JWTs are shorter): redaction sees each one whole. */
const MAX_SCANNED = 4096;

/**
 * A client's `User-Agent` fit for a log line: secrets redacted (L2), then cut to 256 characters.
 * Redacting before cutting matters: a credential cut in half would no longer have its shape, and
 * its first half would reach the log.
 */
export function userAgentForLog(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (value.length <= MAX_USER_AGENT) return redactSecrets(value);
  return redactSecrets(value.slice(0, MAX_SCANNED)).slice(0, MAX_USER_AGENT);
}
