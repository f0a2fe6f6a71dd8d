import { ADMIN_MARKER, type AdminTokenService } from '../admin/admin-token-service.ts';
import type { AuditContext } from '../audit/audit-log.ts';
import { ENVIRONMENT_MARKER } from '../environments/environment.ts';
import { ApiError } from '../http/api-error.ts';
import type { KeyService } from '../keys/key-service.ts';
import type { LeakLookup } from '../leaks/leaked-credentials.ts';
import type { ClientService } from '../oauth/client-service.ts';
import { CLIENT_SECRET_MARKER } from '../oauth/oauth-client.ts';

/** The kinds of credential a leak report can name, each found by its secret's keyed hash. */
export function leakLookups(deps: {
  keys: KeyService;
  clients: ClientService;
  adminTokens: AdminTokenService;
}): LeakLookup[] {
  return [
    {
      kind: 'api_key',
      markers: new Set(Object.values(ENVIRONMENT_MARKER)),
      holderOf: (secret, now) => deps.keys.holderOfSecret(secret, now),
      revoke: async (id, reason, context) =>
        (await deps.keys.revoke(id, reason, context)).status === 'revoked',
    },
    {
      kind: 'oauth_client',
      markers: new Set(Object.values(CLIENT_SECRET_MARKER)),
      holderOf: (secret, now) => deps.clients.holderOfSecret(secret, now),
      revoke: async (id, reason, context) =>
        (await deps.clients.revoke(id, reason, context)).status === 'revoked',
    },
    {
      kind: 'admin_token',
      markers: new Set([ADMIN_MARKER]),
      holderOf: (secret, now) => deps.adminTokens.holderOfToken(secret, now),
      revoke: (id, _reason, context) => revokeAdminToken(deps.adminTokens, id, context),
    },
  ];
}

/** The last active owner token is never revoked (`last_owner`): the leak stays flagged instead. */
async function revokeAdminToken(
  tokens: AdminTokenService,
  id: string,
  context: AuditContext,
): Promise<boolean> {
  try {
    return (await tokens.revoke(id, context)).status === 'revoked';
  } catch (error) {
    if (error instanceof ApiError && error.code === 'last_owner') return false;
    throw error;
  }
}
