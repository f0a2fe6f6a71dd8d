import { createHmac, createSecretKey, randomBytes } from 'node:crypto';
import type { AuditContext } from '../src/audit/audit-log.ts';
import { openBenchDeployment } from './deployment.ts';
import { measure, printComparison } from './harness.ts';

const context: AuditContext = { actor: { type: 'system', id: null, name: 'bench' } };

/**
 * verifyCredential per call, served from the cache and loaded from SQLite each time (TTL 0), beside
 * one bare HMAC-SHA256 of the presented key under a KeyObject: what a lookup by stored hash costs
 * at least. A cache hit does less (one SHA-256 names the entry), so it may beat the baseline.
 */
export async function benchCredentials(): Promise<void> {
  const cached = await openBenchDeployment();
  const uncached = await openBenchDeployment({ env: { GATEHOUSE_CREDENTIAL_CACHE_TTL_MS: '0' } });
  try {
    const secretOf = async (deployment: typeof cached) => {
      const integrator = await deployment.services.integrators.create({ name: 'bench' }, context);
      const { secret } = await deployment.services.keys.create(
        {
          integrator_id: integrator.id,
          name: 'bench',
          environment: 'production',
          scopes: ['a'],
          allowed_ips: ['127.0.0.0/8'],
        },
        context,
      );
      return secret;
    };
    const cachedSecret = await secretOf(cached);
    const uncachedSecret = await secretOf(uncached);
    const hmacKey = createSecretKey(randomBytes(32));
    const options = { ip: '127.0.0.1' };

    const baseline = await measure('bare HMAC-SHA256 (KeyObject)', () =>
      createHmac('sha256', hmacKey).update(cachedSecret).digest(),
    );
    const hit = await measure('verifyCredential, cached', () =>
      cached.services.credentials.verify(cachedSecret, options),
    );
    const miss = await measure('verifyCredential, uncached (SQLite)', () =>
      uncached.services.credentials.verify(uncachedSecret, options),
    );
    printComparison('verifyCredential (calls/s)', baseline, [hit, miss]);
  } finally {
    await cached.close();
    await uncached.close();
  }
}
