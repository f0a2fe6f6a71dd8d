import type { AdminTokenService } from '../admin/admin-token-service.ts';
import { ADMIN_MARKER } from '../admin/admin-token-service.ts';
import { SYSTEM_CONTEXT as SYSTEM } from '../audit/audit-context.ts';
import { parseCredential } from '../crypto/key-format.ts';
import type { AuthOutcome, AuthStrategy } from '../gateway/auth-strategy.ts';
import { ApiError } from '../http/api-error.ts';

/** Never a way in: admin tokens only ever authenticate on the admin API. */
const NOT_HERE = Object.freeze({
  status: 401,
  code: 'invalid_token',
  detail: 'An admin token is not accepted here',
} as const);

/**
 * Admin tokens for exposure handling only (never in the gateway's list of ways to authenticate):
 * names an admin token seen over plain HTTP by its id and, when exposed credentials are revoked,
 * revokes it — except the last active owner token, which `AdminTokenService.revoke` refuses.
 *
 * @example
 * createExposureHandler({ strategies: [apiKeys, adminTokenExposure(services.adminTokens)], … });
 */
export function adminTokenExposure(tokens: AdminTokenService): AuthStrategy {
  return {
    name: 'admin_token',
    authenticate(credential) {
      const parsed = parseCredential(credential.value);
      if (!parsed.ok || parsed.credential.marker !== ADMIN_MARKER) return null;
      return tokens
        .idOf(credential.value)
        .then((id): AuthOutcome => ({ ok: false, failure: NOT_HERE, credentialId: id }));
    },
    async revokeExposed(_credential, credentialId) {
      try {
        return (await tokens.revoke(credentialId, SYSTEM)).status === 'revoked';
      } catch (error) {
        if (error instanceof ApiError && error.code === 'last_owner') return false;
        throw error;
      }
    },
  };
}
