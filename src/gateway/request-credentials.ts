import { findGatehouseCredentials, findJwtShaped } from '../crypto/credential-finder.ts';

/** A credential found somewhere in a request; `marker` is null for a JWT. */
export interface FoundCredential {
  readonly value: string;
  readonly marker: string | null;
  /** Where it was: `request_target`, `header:<name>` (lower-case) or `unparsed_request`. Never the value. */
  readonly location: string;
}

/** More than this many per request are not looked up: a bound on what one request can cost. */
export const MAX_CREDENTIALS_PER_REQUEST = 16;

const BASIC = /\bBasic[ \t]+([A-Za-z0-9+/_-]+={0,2})/gi;

/**
 * Every credential a request carries in its request target or any header (name or value), however
 * it was spelled: both credential headers, repeated headers, `Basic base64(id:secret)`, odd
 * whitespace, query parameters, path segments, percent-encoding. Gatehouse-format credentials count
 * when their checksum holds; JWT-shaped strings are candidates for the OAuth strategy to recognise.
 * Each credential once (first location wins), at most `MAX_CREDENTIALS_PER_REQUEST`. For the
 * requests that are refused because they came without TLS: slower than the data path's header
 * reading, and never on it.
 */
export function credentialsInRequest(
  target: string,
  rawHeaders: readonly string[],
  targetLocation = 'request_target',
): FoundCredential[] {
  const found = new Map<string, FoundCredential>();
  const add = (text: string, location: string) => {
    for (const spelling of spellingsOf(text)) {
      for (const match of findGatehouseCredentials(spelling))
        if (!found.has(match.value))
          found.set(match.value, { value: match.value, marker: match.marker, location });
      for (const jwt of findJwtShaped(spelling))
        if (!found.has(jwt)) found.set(jwt, { value: jwt, marker: null, location });
    }
  };
  add(target, targetLocation);
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    const location = `header:${name.toLowerCase()}`;
    add(`${name}:${rawHeaders[i + 1] as string}`, location);
  }
  return [...found.values()].slice(0, MAX_CREDENTIALS_PER_REQUEST);
}

/** Every credential in the bytes of a request Node's parser refused (malformed, headers too large). */
export function credentialsInRawRequest(bytes: Buffer): FoundCredential[] {
  return credentialsInRequest(bytes.toString('latin1'), [], 'unparsed_request');
}

/** The text as sent, percent-decoded, and with every `Basic` token base64-decoded. */
function spellingsOf(text: string): string[] {
  const spellings = [text];
  if (text.includes('%')) spellings.push(percentDecoded(text));
  BASIC.lastIndex = 0;
  for (let match = BASIC.exec(text); match !== null; match = BASIC.exec(text))
    spellings.push(Buffer.from(match[1] as string, 'base64').toString('latin1'));
  return spellings;
}

/** Decodes `%XX` sequences one by one, leaving malformed ones as they are (decodeURIComponent would throw). */
function percentDecoded(text: string): string {
  return text.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );
}
