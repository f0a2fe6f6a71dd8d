import { credentialKindOf } from '../keys/credential-kind.ts';

/** Why a presented admin token is refused: a stable code and text safe to show anyone. */
export interface TokenRefusal {
  readonly code: 'invalid_token' | 'wrong_credential_kind';
  readonly detail: string;
}

const refusal = (code: TokenRefusal['code'], detail: string): TokenRefusal => Object.freeze({ code, detail });
const TAKES = 'The admin API takes admin tokens';
const REFUSALS = {
  api_key: refusal(
    'wrong_credential_kind',
    `This is an API key: it authenticates calls to the gateway, not the admin API. ${TAKES}`,
  ),
  oauth_client_secret: refusal(
    'wrong_credential_kind',
    `This is an OAuth client secret: it belongs at the gateway's POST /oauth/token, not the admin API. ${TAKES}`,
  ),
  access_token: refusal(
    'wrong_credential_kind',
    `This is an OAuth access token: it authenticates calls to the gateway, not the admin API. ${TAKES}`,
  ),
  webhook_secret: refusal(
    'wrong_credential_kind',
    `This is a webhook signing secret: it verifies the deliveries Gatehouse sends and is never sent to Gatehouse. ${TAKES}`,
  ),
  malformed: refusal('invalid_token', 'The admin token is not well-formed; check it for a typo'),
  invalid: refusal('invalid_token', 'The admin token is not valid'),
} as const;

/**
 * What to tell a client whose token the admin API refused: what kind of credential it sent, when
 * its shape says so (an API key, a client secret, an access token, a webhook secret), else that
 * the admin token is malformed or not valid. Shape only, never a lookup, so a refusal says nothing
 * about whether any particular token exists, was revoked or expired.
 */
export function adminTokenRefusal(presented: string): TokenRefusal {
  const kind = credentialKindOf(presented).kind;
  switch (kind) {
    case 'api_key':
    case 'oauth_client_secret':
    case 'access_token':
    case 'webhook_secret':
    case 'malformed':
      return REFUSALS[kind];
    default:
      return REFUSALS.invalid;
  }
}
