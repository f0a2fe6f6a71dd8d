import type { Environment } from '../environments/environment.ts';
import type { ProblemCode } from '../http/problem-codes.ts';
import { credentialKindOf } from '../keys/credential-kind.ts';
import type { AuthFailure } from './auth-failure.ts';

const failure = (status: 401 | 403, code: ProblemCode, detail: string): AuthFailure =>
  Object.freeze({ status, code, detail });

const ELSEWHERE: Readonly<Record<'admin_token' | 'oauth_client_secret' | 'webhook_secret', AuthFailure>> = {
  admin_token: failure(
    401,
    'wrong_credential_kind',
    'This is a Gatehouse admin token: it belongs to the admin API, not the gateway. Call the gateway with an API key or an OAuth access token',
  ),
  oauth_client_secret: failure(
    401,
    'wrong_credential_kind',
    'This is an OAuth client secret: exchange it at POST /oauth/token (grant_type=client_credentials) for an access token, and send that as Authorization: Bearer',
  ),
  webhook_secret: failure(
    401,
    'wrong_credential_kind',
    'This is a webhook signing secret: it verifies the deliveries Gatehouse sends you and is never sent to Gatehouse',
  ),
};

/**
 * The refusal for a credential that is not one the gateway takes (an admin token, an OAuth client
 * secret, a webhook secret, a credential of another deployment), saying what it is and where it
 * belongs; null when the shape says nothing more than "not valid". By shape only, never by lookup:
 * the answer reveals nothing about any particular credential. Without `keyPrefix` (the caller
 * does not know the deployment's prefix) only kinds that need none are recognised.
 */
export function misplacedCredentialFailure(value: string, keyPrefix?: string): AuthFailure | null {
  const kind = credentialKindOf(value);
  switch (kind.kind) {
    case 'webhook_secret':
      return ELSEWHERE.webhook_secret;
    case 'admin_token':
    case 'oauth_client_secret':
      if (keyPrefix === undefined) return null;
      return kind.prefix === keyPrefix ? ELSEWHERE[kind.kind] : otherDeployment(keyPrefix);
    case 'api_key':
      if (keyPrefix === undefined) return null;
      return kind.prefix === keyPrefix ? null : otherDeployment(keyPrefix);
    default:
      return null;
  }
}

const foreign = new Map<string, AuthFailure>();

function otherDeployment(keyPrefix: string): AuthFailure {
  let refusal = foreign.get(keyPrefix);
  if (refusal === undefined) {
    refusal = failure(
      401,
      'key_unknown',
      `This credential was issued by another Gatehouse deployment: the keys of this one start with ${keyPrefix}_`,
    );
    foreign.set(keyPrefix, refusal);
  }
  return refusal;
}

const NOUN = { api_key: 'API key', access_token: 'access token' } as const;
const wrongEnvironments = new Map<string, AuthFailure>();

/**
 * The refusal for a credential of one environment sent to a host of the other, naming both (the
 * environment is part of what the caller holds: the key's marker, the token's claims).
 */
export function wrongEnvironmentFailure(
  credential: keyof typeof NOUN,
  credentialEnvironment: Environment,
  hostEnvironment: Environment,
): AuthFailure {
  const id = `${credential}:${credentialEnvironment}:${hostEnvironment}`;
  let refusal = wrongEnvironments.get(id);
  if (refusal === undefined) {
    const noun = NOUN[credential];
    refusal = failure(
      403,
      'wrong_environment',
      `This is a ${credentialEnvironment} ${noun} and this host serves ${hostEnvironment}: use a ${hostEnvironment} ${noun} here, or call the ${credentialEnvironment} host`,
    );
    wrongEnvironments.set(id, refusal);
  }
  return refusal;
}
