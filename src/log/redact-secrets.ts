import { credentialCandidatePattern } from '../crypto/key-format.ts';

const REDACTED = '[redacted]';

/** Gatehouse's own format: API keys, OAuth client secrets, admin tokens (`<prefix>_<marker>_<49 base62>`). */
const CREDENTIAL = credentialCandidatePattern();
/** Webhook signing secrets: `whsec_` and base64, possibly percent-encoded. */
const WEBHOOK_SECRET = /whsec_[A-Za-z0-9+/=%]{16,}/g;
/** A JWT (OAuth access tokens): a base64url JSON header, `eyJ`, a dot and at least part of a payload. */
const JWT = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*)?/g;
/** The shortest string that can hold one of the shapes above (a JWT with a short header). */
const SHORTEST_SECRET = 20;
/**
 * A percent-encoded unreserved character (RFC 3986 §2.3), which decodes without changing meaning,
 * or an encoded `%` (`%25`), so a double-encoded secret (`%2567ate…`) decodes in a second round.
 */
const ENCODED_UNRESERVED = /%(2[DdEe5]|3[0-9]|[46][1-9A-Fa-f]|[57][0-9Aa]|5[Ff]|7[Ee])/g;
/** Rounds of decoding: enough for a secret encoded twice over. */
const DECODING_ROUNDS = 3;

/**
 * Replaces every secret-shaped string in `text` with `[redacted]`: the one redaction every logged
 * string goes through (L2), whatever part of a request it came from (path, query, user agent, an
 * error message). Percent-encoded unreserved characters are decoded first, so `gate%5Flive%5F…`
 * is caught too, and so is a secret encoded twice or three times over. Each shape's regular
 * expression runs only when its marker is in the text (two
 * `_`, `whsec_`, `eyJ`), so most strings are returned as they are without running one: the
 * gateway calls this twice for every request.
 *
 * @example
 * redactSecrets('/v1/x?q=gate_live_…') // '/v1/x?q=[redacted]'
 */
export function redactSecrets(text: string): string {
  if (text.length < SHORTEST_SECRET) return text;
  const encoded = text.includes('%');
  if (!encoded && !text.includes('_') && !text.includes('eyJ')) return text;
  let plain = text;
  for (let round = 0; round < DECODING_ROUNDS && plain.includes('%'); round++) {
    const decoded = plain.replace(ENCODED_UNRESERVED, decodeUnreserved);
    if (decoded === plain) break;
    plain = decoded;
  }
  // Each shape runs only where its marker is: a JWT first, as its parts may hold underscores.
  if (plain.includes('eyJ')) plain = plain.replace(JWT, REDACTED);
  if (plain.includes('whsec_')) plain = plain.replace(WEBHOOK_SECRET, REDACTED);
  const underscore = plain.indexOf('_');
  if (underscore !== -1 && plain.includes('_', underscore + 1)) plain = plain.replace(CREDENTIAL, REDACTED);
  return plain;
}

function decodeUnreserved(encoded: string): string {
  return String.fromCharCode(Number.parseInt(encoded.slice(1), 16));
}
