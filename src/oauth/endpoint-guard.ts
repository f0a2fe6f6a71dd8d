import type { IncomingMessage } from 'node:http';
import type { SecurityEvents } from '../monitor/security-events.ts';
import {
  type RateLimiter,
  type RateLimitPolicy,
  rateLimitPolicy,
  retryAfterSeconds,
} from '../rate-limit/rate-limiter.ts';
import { presentedClient } from './client-credentials.ts';
import type { ClientRecord, ClientRegistry } from './client-registry.ts';
import { BASIC_CHALLENGE, OAuthError } from './oauth-http.ts';

export type OAuthEndpoint = 'token' | 'introspect' | 'revoke';

/**
 * What every client-authenticated OAuth endpoint does first: limit attempts per IP and per
 * client_id from that IP (brute-force protection), authenticate the client in constant time, limit
 * authenticated requests per client, enforce its IP allowlist, and record failed client
 * authentication as security events (aggregated: a flood is one row per address and minute).
 *
 * Attempts are counted per client_id *and* IP so that wrong secrets sent for a victim's client_id
 * from elsewhere exhaust only the sender's budget; the per-client budget counts only requests that
 * proved the secret, so nobody without it can spend it.
 */
export class EndpointGuard {
  readonly #registry: ClientRegistry;
  readonly #limiter: RateLimiter;
  readonly #securityEvents: SecurityEvents;
  readonly #perClient: RateLimitPolicy;
  readonly #perClientFromIp: RateLimitPolicy;
  readonly #perIp: RateLimitPolicy;

  constructor(deps: {
    registry: ClientRegistry;
    limiter: RateLimiter;
    securityEvents: SecurityEvents;
    requestsPerSecond: number;
  }) {
    this.#registry = deps.registry;
    this.#limiter = deps.limiter;
    this.#securityEvents = deps.securityEvents;
    const rate = deps.requestsPerSecond;
    this.#perClient = rateLimitPolicy('credential', { requests_per_second: rate, burst: rate * 4 });
    this.#perClientFromIp = rateLimitPolicy('ip', { requests_per_second: rate, burst: rate * 4 });
    this.#perIp = rateLimitPolicy('ip', { requests_per_second: rate * 2, burst: rate * 8 });
  }

  /** Called before the body is read, so a flood costs one bucket lookup per request. */
  async limitIp(ip: string, now = Date.now()): Promise<void> {
    await this.#take(`oauth:${ip}`, this.#perIp, now);
  }

  async authenticate(
    req: IncomingMessage,
    form: Map<string, string>,
    ip: string,
    endpoint: OAuthEndpoint,
  ): Promise<{ readonly client: ClientRecord; readonly secretId: string }> {
    const presented = presentedClient(req, form);
    const clientId = presented.clientId.slice(0, 64);
    await this.#take(`oauth:${clientId}@${ip}`, this.#perClientFromIp, Date.now());
    const result = await this.#registry.authenticate(presented.clientId, presented.secret);
    if (!result.ok) {
      await this.#securityEvents.record(
        {
          event: 'oauth_client_authentication_failed',
          source: 'oauth',
          credentialId: result.client?.id ?? null,
          integratorId: result.client?.integratorId ?? null,
          ip,
          details: { endpoint, method: presented.method, reason: result.reason },
        },
        Date.now(),
        { aggregate: true },
      );
      throw new OAuthError(401, 'invalid_client', 'Client authentication failed', BASIC_CHALLENGE);
    }
    await this.#take(`oauth:${result.client.id}`, this.#perClient, Date.now());
    if (!result.client.allowlist.allows(ip)) {
      await this.#securityEvents.record({
        event: 'oauth_client_ip_not_allowed',
        source: 'oauth',
        credentialId: result.client.id,
        integratorId: result.client.integratorId,
        ip,
        details: { endpoint },
      });
      throw new OAuthError(
        400,
        'unauthorized_client',
        'The client may not use this endpoint from this address',
      );
    }
    return result;
  }

  async #take(key: string, policy: RateLimitPolicy, now: number): Promise<void> {
    const decision = await this.#limiter.take(key, policy, now);
    if (!decision.allowed) {
      throw new OAuthError(429, 'slow_down', 'Too many requests; retry later', {
        'retry-after': retryAfterSeconds(decision),
      });
    }
  }
}
