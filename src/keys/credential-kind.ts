import { ADMIN_MARKER } from '../admin/admin-token-service.ts';
import { parseCredential } from '../crypto/key-format.ts';
import { looksLikeJwt } from '../oauth/access-tokens.ts';
import { CLIENT_SECRET_MARKER } from '../oauth/oauth-client.ts';
import { HMAC_SECRET_PREFIX } from '../webhooks/signing-secret.ts';
import { type Environment, MARKER_ENVIRONMENT } from './api-key.ts';

/** What a presented string is, judged by its shape alone. */
export type CredentialKind =
  | { readonly kind: 'api_key'; readonly environment: Environment; readonly prefix: string }
  | { readonly kind: 'oauth_client_secret'; readonly environment: Environment; readonly prefix: string }
  | { readonly kind: 'admin_token'; readonly prefix: string }
  | { readonly kind: 'access_token' }
  | { readonly kind: 'webhook_secret' }
  /** Gatehouse's credential format with a checksum that does not hold: a typo or a cut-off copy. */
  | { readonly kind: 'malformed' }
  | { readonly kind: 'unknown' };

const CREDENTIAL_SHAPE = /^[a-z][a-z0-9]{1,15}_[a-z]{2,10}_[0-9A-Za-z]{49}$/;
const ACCESS_TOKEN: CredentialKind = Object.freeze({ kind: 'access_token' });
const WEBHOOK_SECRET: CredentialKind = Object.freeze({ kind: 'webhook_secret' });
const MALFORMED: CredentialKind = Object.freeze({ kind: 'malformed' });
const UNKNOWN: CredentialKind = Object.freeze({ kind: 'unknown' });
const CLIENT_SECRET_ENVIRONMENT: Readonly<Record<string, Environment>> = {
  [CLIENT_SECRET_MARKER.production]: 'production',
  [CLIENT_SECRET_MARKER.sandbox]: 'sandbox',
};

/**
 * Which kind of Gatehouse credential `value` is, from its prefix, marker and checksum only: never a
 * lookup, so the answer says nothing about whether such a credential exists. Used to tell a client
 * that sent a credential to the wrong place where it belongs.
 */
export function credentialKindOf(value: string): CredentialKind {
  if (looksLikeJwt(value)) return ACCESS_TOKEN;
  if (value.startsWith(HMAC_SECRET_PREFIX)) return WEBHOOK_SECRET;
  if (!CREDENTIAL_SHAPE.test(value)) return UNKNOWN;
  const parsed = parseCredential(value);
  if (!parsed.ok) return MALFORMED;
  const { prefix, marker } = parsed.credential;
  const keyEnvironment = MARKER_ENVIRONMENT[marker];
  if (keyEnvironment !== undefined) return { kind: 'api_key', environment: keyEnvironment, prefix };
  const clientEnvironment = CLIENT_SECRET_ENVIRONMENT[marker];
  if (clientEnvironment !== undefined)
    return { kind: 'oauth_client_secret', environment: clientEnvironment, prefix };
  if (marker === ADMIN_MARKER) return { kind: 'admin_token', prefix };
  return UNKNOWN;
}
