import { SYSTEM_CONTEXT as SYSTEM } from '../audit/audit-context.ts';
import { parseCredential } from '../crypto/key-format.ts';
import type { AuthOutcome, AuthStrategy } from '../gateway/auth-strategy.ts';
import type { ClientRegistry } from '../oauth/client-registry.ts';
import type { ClientService } from '../oauth/client-service.ts';
import { CLIENT_SECRET_MARKER } from '../oauth/oauth-client.ts';

/** Never a way in: a client secret only ever authenticates at the token endpoint. */
const NOT_HERE = Object.freeze({
  status: 401,
  code: 'invalid_token',
  detail: 'A client secret is not accepted here',
} as const);

const MARKERS = new Set(Object.values(CLIENT_SECRET_MARKER));

/**
 * OAuth client secrets for exposure handling only (never a way to call the data path). A secret
 * seen over plain HTTP names its client when the same request named the client too (`client_id=`
 * or the user part of `Basic`): the secret is checked against each such client as the token
 * endpoint does (keyed hash, constant-time comparison), so a guessed or copied client id cannot
 * get a client revoked. When exposed credentials are revoked, the client is revoked as
 * `clients revoke` does: the service has no way to revoke one secret, and an attacker who holds
 * the secret may already have tokens, which revoking the client refuses too.
 *
 * @example
 * const clientSecrets = clientSecretExposure(services.oauth.registry, services.oauth.clients);
 * createExposureHandler({ strategies: [clientSecrets, …], … });
 */
export function clientSecretExposure(registry: ClientRegistry, clients: ClientService): AuthStrategy {
  return {
    name: 'oauth_client_secret',
    authenticate(credential) {
      const parsed = parseCredential(credential.value);
      if (!parsed.ok || !MARKERS.has(parsed.credential.marker)) return null;
      return clientOf(registry, credential.value, credential.clientIds ?? []);
    },
    async revokeExposed(_credential, clientId) {
      return (await clients.revoke(clientId, null, SYSTEM)).status === 'revoked';
    },
  };
}

async function clientOf(
  registry: ClientRegistry,
  secret: string,
  clientIds: readonly string[],
): Promise<AuthOutcome> {
  for (const clientId of clientIds) {
    const result = await registry.authenticate(clientId, secret);
    const matched = result.ok || (result.reason !== 'unknown_client' && result.reason !== 'wrong_secret');
    if (matched && result.client !== undefined)
      return {
        ok: false,
        failure: NOT_HERE,
        credentialId: result.client.id,
        integratorId: result.client.integratorId,
      };
  }
  return { ok: false, failure: NOT_HERE };
}
