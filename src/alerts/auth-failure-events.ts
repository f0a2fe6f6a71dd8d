import type { AuthOutcome, AuthStrategy } from '../gateway/auth-strategy.ts';
import type { SecurityEvents } from '../monitor/security-events.ts';

/**
 * Wraps a gateway strategy so each failed authentication (401 or 403) is recorded as an
 * aggregated `authentication_failed` security event, which feeds the `auth_failures` detector. A
 * success costs one property check (and nothing more when the strategy answered synchronously).
 */
export function reportingAuthFailures(strategy: AuthStrategy, securityEvents: SecurityEvents): AuthStrategy {
  const report = (outcome: AuthOutcome, ip: string): AuthOutcome => {
    if (!outcome.ok && outcome.failure.status !== 429) {
      void securityEvents.record(
        {
          event: 'authentication_failed',
          source: 'gateway',
          credentialId: outcome.credentialId ?? null,
          integratorId: outcome.integratorId ?? null,
          ip,
          details: { reason: outcome.failure.code, strategy: strategy.name },
        },
        Date.now(),
        { aggregate: true },
      );
    }
    return outcome;
  };
  return {
    ...strategy,
    name: strategy.name,
    authenticate(credential, context) {
      const outcome = strategy.authenticate(credential, context);
      if (outcome === null) return null;
      if (outcome instanceof Promise) return outcome.then((settled) => report(settled, context.ip));
      return report(outcome, context.ip);
    },
    ...(strategy.revokeExposed ? { revokeExposed: strategy.revokeExposed.bind(strategy) } : {}),
  };
}
