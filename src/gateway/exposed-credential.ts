import type { Logger } from 'pino';
import type { SecurityEvents } from '../monitor/security-events.ts';
import { type AuthStrategy, strategyFor } from './auth-strategy.ts';
import type { CredentialPresence } from './presented-credential.ts';

/** Where a credential travelled without TLS. */
export type ExposureChannel = 'plain_http_listener' | 'forwarded_proto_http';

export type ExposureHandler = (presence: CredentialPresence, ip: string, channel: ExposureChannel) => void;

/**
 * T1: a credential that arrived over plain HTTP was readable on the wire, so it is treated as
 * exposed: a `credential_over_plain_http` security event names it (by id, never the secret) and,
 * when `revoke` is set, it is revoked at once. Runs after the refusal was sent; never throws.
 */
export function createExposureHandler(deps: {
  strategies: readonly AuthStrategy[];
  securityEvents: SecurityEvents;
  revoke: boolean;
  logger: Logger;
}): ExposureHandler {
  const handle = async (presence: CredentialPresence, ip: string, channel: ExposureChannel) => {
    if (presence.kind === 'none') return;
    let credentialId: string | null = null;
    let integratorId: string | null = null;
    let revoked = false;
    const claimed =
      presence.kind === 'presented'
        ? strategyFor(deps.strategies, presence.credential, { ip, environment: undefined })
        : null;
    if (claimed !== null) {
      const outcome = await claimed.outcome;
      credentialId = outcome.ok ? outcome.caller.credentialId : (outcome.credentialId ?? null);
      integratorId = outcome.ok ? outcome.caller.integratorId : (outcome.integratorId ?? null);
      if (deps.revoke && credentialId !== null && claimed.strategy.revokeExposed) {
        await claimed.strategy.revokeExposed(
          credentialId,
          'sent over plain HTTP (exposed); revoked automatically',
        );
        revoked = true;
      }
    }
    await deps.securityEvents.record({
      event: 'credential_over_plain_http',
      source: 'gateway',
      credentialId,
      integratorId,
      ip,
      details: {
        channel,
        header: presence.kind === 'presented' ? presence.credential.via : 'unparseable',
        identified: credentialId !== null,
        revoked,
      },
    });
  };
  return (presence, ip, channel) => {
    handle(presence, ip, channel).catch((error: unknown) => {
      deps.logger.error({ err: error, channel }, 'could not handle a credential seen over plain HTTP');
    });
  };
}
