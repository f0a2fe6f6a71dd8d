import type { RequestHeaders } from './request-headers.ts';

/** A credential as the client sent it; strategies decide whether it is theirs. */
export interface PresentedCredential {
  /** Which header carried it. */
  readonly via: 'x-api-key' | 'bearer';
  readonly value: string;
  /** Exposure handling only: client ids sent in the same plain-HTTP request (`FoundCredential.clientIds`). */
  readonly clientIds?: readonly string[];
}

export type CredentialPresence =
  | { readonly kind: 'none' }
  | { readonly kind: 'invalid'; readonly detail: string }
  | { readonly kind: 'presented'; readonly credential: PresentedCredential };

const NONE: CredentialPresence = Object.freeze({ kind: 'none' });
const invalid = (detail: string): CredentialPresence => Object.freeze({ kind: 'invalid', detail });
const DUPLICATE = invalid('Send exactly one credential: one X-API-Key or one Authorization header');
const NOT_BEARER = invalid('The Authorization header must be "Bearer <credential>"');
const BAD_API_KEY = invalid('The X-API-Key header must hold one credential without spaces');

/** RFC 6750 §2.1: `Bearer` (any case), one or more spaces, a b64token. */
const BEARER = /^[Bb][Ee][Aa][Rr][Ee][Rr] +([A-Za-z0-9\-._~+/]+=*)$/;
const API_KEY = /^[\x21-\x7e]{1,512}$/;

/**
 * Finds the credential of a request (C2): `X-API-Key: <key>` or `Authorization: Bearer <value>`.
 * A malformed header, or more than one credential, is an `invalid` request (400), not a failed
 * authentication: the client has a bug, not a bad key.
 */
export function presentedCredential(headers: RequestHeaders): CredentialPresence {
  const { apiKey, authorization } = headers;
  if (headers.duplicateCredential || (apiKey !== undefined && authorization !== undefined)) return DUPLICATE;
  if (apiKey !== undefined) {
    if (!API_KEY.test(apiKey)) return BAD_API_KEY;
    return { kind: 'presented', credential: { via: 'x-api-key', value: apiKey } };
  }
  if (authorization !== undefined) {
    const match = BEARER.exec(authorization);
    if (match === null) return NOT_BEARER;
    return { kind: 'presented', credential: { via: 'bearer', value: match[1] as string } };
  }
  return NONE;
}
