import { findGatehouseCredentials, findJwtShaped } from '../crypto/credential-finder.ts';
import { isUuid } from '../db/uuid7.ts';
import type { RawRequest } from './raw-request.ts';

/** A credential found somewhere in a request; `marker` is null for a JWT. */
export interface FoundCredential {
  readonly value: string;
  readonly marker: string | null;
  /** Where: `request_target`, `header:<name>` (lower-case), `unparsed_request` or `body`; never the value. */
  readonly location: string;
  /**
   * OAuth client ids sent in the same request (`client_id=` anywhere, the user part of a `Basic`
   * token): the client a client secret may belong to, to be checked against it, never trusted.
   */
  readonly clientIds: readonly string[];
}

/** More than this many per request are not looked up: a bound on what one request can cost. */
export const MAX_CREDENTIALS_PER_REQUEST = 16;

const BASIC = /\bBasic[ \t]+([A-Za-z0-9+/_-]+={0,2})/gi;
const CLIENT_ID_PARAM = /\bclient_id=([0-9A-Fa-f-]{36})/g;
/** A request naming more client ids than this is not a client authenticating: the rest are not tried. */
const MAX_CLIENT_IDS = 4;

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
  return credentialsIn([[target, targetLocation], ...headerTexts(rawHeaders)]);
}

/**
 * Every credential in the bytes a plain connection sent before it was refused, however they were
 * framed (`readRawRequest`): the request target, each header line, lines that are not valid HTTP
 * (`unparsed_request`) and the body (`body`: a form's `client_secret=…`, JSON, anything).
 */
export function credentialsInRawRequest(request: RawRequest): FoundCredential[] {
  const texts: [string, string][] = [[request.target, 'request_target'], ...headerTexts(request.rawHeaders)];
  for (const line of request.otherLines) texts.push([line, 'unparsed_request']);
  if (request.body.length > 0) texts.push([request.body.toString('latin1'), 'body']);
  return credentialsIn(texts);
}

function headerTexts(rawHeaders: readonly string[]): [string, string][] {
  const texts: [string, string][] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    texts.push([`${name}:${rawHeaders[i + 1] as string}`, `header:${name.toLowerCase()}`]);
  }
  return texts;
}

/** Each credential once (first location wins), at most `MAX_CREDENTIALS_PER_REQUEST`. */
function credentialsIn(texts: readonly (readonly [text: string, location: string])[]): FoundCredential[] {
  const found = new Map<string, Omit<FoundCredential, 'clientIds'>>();
  const clientIds = new Set<string>();
  for (const [text, location] of texts) {
    for (const spelling of spellingsOf(text)) {
      for (const match of findGatehouseCredentials(spelling))
        if (!found.has(match.value))
          found.set(match.value, { value: match.value, marker: match.marker, location });
      for (const jwt of findJwtShaped(spelling))
        if (!found.has(jwt)) found.set(jwt, { value: jwt, marker: null, location });
      for (const id of clientIdsIn(spelling)) clientIds.add(id.toLowerCase());
    }
  }
  const ids = [...clientIds].slice(0, MAX_CLIENT_IDS);
  return [...found.values()].slice(0, MAX_CREDENTIALS_PER_REQUEST).map((f) => ({ ...f, clientIds: ids }));
}

/** `client_id=<uuid>` parameters, and a decoded `Basic` token's user part when it is a UUID. */
function clientIdsIn(spelling: string): string[] {
  const ids: string[] = [];
  CLIENT_ID_PARAM.lastIndex = 0;
  for (let match = CLIENT_ID_PARAM.exec(spelling); match !== null; match = CLIENT_ID_PARAM.exec(spelling))
    if (isUuid((match[1] as string).toLowerCase())) ids.push(match[1] as string);
  const user = /^([0-9A-Fa-f-]{36}):/.exec(spelling)?.[1];
  if (user !== undefined && isUuid(user.toLowerCase())) ids.push(user);
  return ids;
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
