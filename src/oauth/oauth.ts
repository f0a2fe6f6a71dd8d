import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AuditContext, AuditLog } from '../audit/audit-log.ts';
import type { BaseConfig } from '../config/config.ts';
import type { Envelope } from '../crypto/envelope.ts';
import type { KeyedHasher } from '../crypto/keyed-hash.ts';
import type { Redis } from '../db/redis.ts';
import type { Schema } from '../db/schema.ts';
import type { ChangeBus } from '../events/change-bus.ts';
import type { AuthStrategy } from '../gateway/auth-strategy.ts';
import type { PublicRoute } from '../gateway/public-route.ts';
import type { SecurityEvents } from '../monitor/security-events.ts';
import { createRateLimiter } from '../rate-limit/create-rate-limiter.ts';
import { createAccessTokenStrategy } from './access-token-strategy.ts';
import { AccessTokens, type TokenAudience } from './access-tokens.ts';
import { ClientRegistry } from './client-registry.ts';
import { ClientService } from './client-service.ts';
import { jwksEndpoint, metadataEndpoint } from './discovery-endpoints.ts';
import { EndpointGuard } from './endpoint-guard.ts';
import { introspectionEndpoint } from './introspection-endpoint.ts';
import type { OAuthConfig } from './oauth-config.ts';
import { revocationEndpoint } from './revocation-endpoint.ts';
import { RevokedTokens } from './revoked-tokens.ts';
import { SigningKeys } from './signing-keys.ts';
import { tokenEndpoint } from './token-endpoint.ts';

/** The configuration OAuth reads: the base settings and its own section. */
export type OAuthHostConfig = BaseConfig & { readonly oauth: OAuthConfig };

/** The OAuth authorization server (K6): clients, signing keys, tokens and revocations. */
export interface OAuth {
  readonly clients: ClientService;
  readonly registry: ClientRegistry;
  readonly signingKeys: SigningKeys;
  readonly tokens: AccessTokens;
  readonly revoked: RevokedTokens;
  readonly audience: TokenAudience & { useDataUrl(url: string): void };
}

export interface OAuthDeps {
  readonly config: OAuthHostConfig;
  readonly db: Kysely<Schema>;
  readonly audit: AuditLog;
  readonly changes: ChangeBus;
  readonly envelope: Envelope;
  readonly hasher: KeyedHasher;
  readonly logger: Logger;
}

export function createOAuth(deps: OAuthDeps): OAuth {
  const { config, db, audit, changes } = deps;
  let issuer = config.oauth.issuer ?? `https://localhost:${config.data.port}`;
  const audience = {
    issuer: () => issuer,
    audience: () => config.oauth.audience ?? issuer,
    /** Without GATEHOUSE_OAUTH_ISSUER the issuer follows the port the data path really got. */
    useDataUrl(url: string) {
      if (config.oauth.issuer === null) issuer = `https://localhost:${new URL(url).port}`;
    },
  };
  const signingKeys = new SigningKeys({ db, envelope: deps.envelope, audit, changes });
  return {
    clients: new ClientService({ db, audit, changes, hasher: deps.hasher, keyPrefix: config.keyPrefix }),
    registry: new ClientRegistry({
      db,
      hasher: deps.hasher,
      keyPrefix: config.keyPrefix,
      changes,
      cache: { ttlMs: config.credentialCacheTtlMs, negativeTtlMs: config.negativeCacheTtlMs },
    }),
    signingKeys,
    tokens: new AccessTokens(signingKeys, audience),
    revoked: new RevokedTokens({ db, changes, logger: deps.logger }),
    audience,
  };
}

const SYSTEM: AuditContext = { actor: { type: 'system', id: null, name: 'gatehouse' } };

/**
 * Readies the server side for the data path: a signing key exists, revocations are loaded (and
 * polled when several instances share PostgreSQL without Redis to announce changes).
 */
export async function startOAuth(oauth: OAuth, options: { pollRevocations: boolean }): Promise<void> {
  await ensureSigningKey(oauth);
  await oauth.revoked.start({ poll: options.pollRevocations });
}

/** Creates the first signing key if there is none (done once, before the data path's thread starts). */
export async function ensureSigningKey(oauth: OAuth): Promise<void> {
  await oauth.signingKeys.ensureSigningKey(SYSTEM);
}

/**
 * The data-path pieces: the public endpoints (token, introspection, revocation, JWKS, metadata) with
 * their own brute-force limiter (shared through Redis when configured), and the Bearer-JWT strategy.
 */
export function oauthDataPath(
  oauth: OAuth,
  deps: { config: OAuthHostConfig; redis: Redis | null; securityEvents: SecurityEvents; logger: Logger },
): { publicRoutes: PublicRoute[]; strategy: AuthStrategy; close(): Promise<void> } {
  const { registry, tokens, revoked, signingKeys, audience } = oauth;
  const limiter = createRateLimiter({
    redis: deps.redis,
    prefix: deps.config.redisKeyPrefix,
    logger: deps.logger,
  });
  const guard = new EndpointGuard({
    registry,
    limiter,
    securityEvents: deps.securityEvents,
    requestsPerSecond: deps.config.oauth.tokenRequestsPerSecond,
  });
  return {
    close: async () => {
      revoked.stop();
      await limiter.close();
    },
    publicRoutes: [
      tokenEndpoint({ guard, tokens, registry }),
      introspectionEndpoint({ guard, tokens, revoked, registry }),
      revocationEndpoint({ guard, tokens, revoked }),
      jwksEndpoint(signingKeys),
      metadataEndpoint(audience),
    ],
    strategy: createAccessTokenStrategy({ tokens, revoked, registry }),
  };
}
