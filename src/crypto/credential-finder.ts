import { credentialCandidatePattern, parseCredential } from './key-format.ts';

/** A Gatehouse-format credential found in a text: where it starts, the credential, and what it says it is. */
export interface CredentialMatch {
  readonly index: number;
  readonly value: string;
  readonly prefix: string;
  readonly marker: string;
}

const CANDIDATE = credentialCandidatePattern();
/** Three base64url parts, the first two JSON objects (`eyJ` is `{"`): the shape of every JWS. */
const JWT_LIKE = /eyJ[A-Za-z0-9_-]{2,4096}\.eyJ[A-Za-z0-9_-]{2,4096}\.[A-Za-z0-9_-]{1,4096}/g;

/**
 * Every credential in Gatehouse's format in `text` whose checksum holds (K2), of any prefix or only
 * of `prefix`. Random strings of the same shape fail the checksum, so a match is almost surely real.
 * The one search behind `gatehouse scan` and the plain-HTTP exposure check.
 */
export function findGatehouseCredentials(text: string, prefix?: string): CredentialMatch[] {
  const found: CredentialMatch[] = [];
  CANDIDATE.lastIndex = 0;
  for (let match = CANDIDATE.exec(text); match !== null; match = CANDIDATE.exec(text)) {
    const parsed = parseCredential(match[0]);
    if (!parsed.ok || (prefix !== undefined && parsed.credential.prefix !== prefix)) {
      // The match may have swallowed the start of a real credential (`xgate_live_…`): look again
      // one character further on.
      CANDIDATE.lastIndex = match.index + 1;
      continue;
    }
    found.push({ index: match.index, value: match[0], ...parsed.credential });
  }
  return found;
}

/** Every JWT-shaped string in `text` (signature not checked: that is the issuer's business). */
export function findJwtShaped(text: string): string[] {
  return text.match(JWT_LIKE) ?? [];
}
