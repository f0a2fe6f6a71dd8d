import type { Logger } from 'pino';
import { credentialHint } from '../crypto/key-format.ts';
import type { SecurityEvents } from '../monitor/security-events.ts';
import { type AuthStrategy, strategyFor } from './auth-strategy.ts';
import type { FoundCredential } from './request-credentials.ts';

/** Where a credential travelled without TLS. */
export type ExposureChannel = 'plain_http_listener' | 'plain_http_on_tls_port' | 'forwarded_proto_http';

export type ExposureHandler = (
  found: readonly FoundCredential[],
  ip: string,
  channel: ExposureChannel,
) => void;

const REASON = 'sent over plain HTTP (exposed); revoked automatically';

/**
 * T1: a credential that arrived over plain HTTP was readable on the wire, so it is treated as
 * exposed. Each one found (`credentialsInRequest`) is offered to the strategies to be identified;
 * a `credential_over_plain_http` security event names it (by id, never the secret) and, when
 * `revoke` is set, it is revoked at once. A Gatehouse-format credential no strategy identifies
 * (another deployment's, an admin token on the data path, a revoked key) is still recorded, with
 * its marker and hint; a JWT is recorded only when a strategy recognises it as one of ours.
 * Runs after the refusal was sent; never throws.
 *
 * @example
 * const exposure = createExposureHandler({ strategies, securityEvents, revoke: true, source: 'gateway', logger });
 * exposure(credentialsInRequest(req.url ?? '', req.rawHeaders), ip, 'plain_http_listener');
 */
export function createExposureHandler(deps: {
  strategies: readonly AuthStrategy[];
  securityEvents: SecurityEvents;
  revoke: boolean;
  /** Which listener saw it, as the event's `source`: `gateway` or `admin`. */
  source: string;
  logger: Logger;
}): ExposureHandler {
  const handleOne = async (found: FoundCredential, ip: string, channel: ExposureChannel) => {
    const presented = { via: 'bearer', value: found.value, clientIds: found.clientIds } as const;
    const claimed = strategyFor(deps.strategies, presented, { ip, environment: undefined });
    let credentialId: string | null = null;
    let integratorId: string | null = null;
    let revoked = false;
    if (claimed !== null) {
      const outcome = await claimed.outcome;
      credentialId = outcome.ok ? outcome.caller.credentialId : (outcome.credentialId ?? null);
      integratorId = outcome.ok ? outcome.caller.integratorId : (outcome.integratorId ?? null);
      if (deps.revoke && credentialId !== null && claimed.strategy.revokeExposed) {
        revoked = await claimed.strategy.revokeExposed(presented, credentialId, REASON);
      }
    }
    if (found.marker === null && credentialId === null) return;
    await deps.securityEvents.record({
      event: 'credential_over_plain_http',
      source: deps.source,
      credentialId,
      integratorId,
      ip,
      details: {
        channel,
        location: found.location,
        kind: found.marker === null ? 'jwt' : found.marker,
        ...(found.marker === null ? {} : { hint: credentialHint(found.value) }),
        identified: credentialId !== null,
        revoked,
      },
    });
  };
  return (found, ip, channel) => {
    for (const credential of found) {
      handleOne(credential, ip, channel).catch((error: unknown) => {
        deps.logger.error({ err: error, channel }, 'could not handle a credential seen over plain HTTP');
      });
    }
  };
}
