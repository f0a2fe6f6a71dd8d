import { redactSecrets } from './redact-secrets.ts';

const SECRET_PARAMETER =
  /(key|token|secret|passw|pwd|auth|signature|sig$|credential|session|code|jwt|bearer)/i;
const REDACTED = '[redacted]';

/**
 * A request target fit for a log line: values of secret-looking query parameters and anything shaped
 * like a Gatehouse credential are replaced, the rest is kept for debugging.
 */
export function redactUrl(target: string): string {
  const withoutCredentials = redactSecrets(target);
  const queryStart = withoutCredentials.indexOf('?');
  if (queryStart === -1) return withoutCredentials;
  const path = withoutCredentials.slice(0, queryStart);
  const query = withoutCredentials
    .slice(queryStart + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq === -1 ? pair : pair.slice(0, eq);
      return eq !== -1 && SECRET_PARAMETER.test(safeDecode(name)) ? `${name}=${REDACTED}` : pair;
    })
    .join('&');
  return `${path}?${query}`;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
