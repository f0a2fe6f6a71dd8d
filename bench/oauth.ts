import { createPublicKey, sign, verify } from 'node:crypto';
import { jwtVerify } from 'jose';
import type { AuditContext } from '../src/audit/audit-log.ts';
import { oauthDataPath, startOAuth } from '../src/oauth/oauth.ts';
import { openBenchDeployment } from './deployment.ts';
import { measure, printComparison } from './harness.ts';

const context: AuditContext = { actor: { type: 'system', id: null, name: 'bench' } };

/**
 * Tokens issued per second (client authentication + signing) beside one bare ES256 signature, and
 * JWT verifications per second (jose on a fresh token; the gateway strategy on a token it has seen)
 * beside one bare ES256 signature check.
 */
export async function benchOAuth(): Promise<void> {
  const deployment = await openBenchDeployment();
  const { oauth, integrators, securityEvents } = deployment.services;
  try {
    await startOAuth(oauth, { pollRevocations: false });
    const integrator = await integrators.create({ name: 'bench' }, context);
    const { client, secret } = await oauth.clients.create(
      { integrator_id: integrator.id, name: 'bench', environment: 'production', scopes: ['orders:read'] },
      context,
    );
    const signing = await oauth.signingKeys.current();
    const publicKey = createPublicKey(signing.privateKey);
    const payload = Buffer.from('eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9');
    const es256 = { key: signing.privateKey, dsaEncoding: 'ieee-p1363' as const };
    const signature = sign('sha256', payload, es256);

    const bareSign = await measure('bare ES256 sign (node:crypto)', () => sign('sha256', payload, es256));
    const issued = await measure('token issued (client auth + JWT)', async () => {
      const result = await oauth.registry.authenticate(client.client_id, secret);
      if (!result.ok) throw new Error('bench client failed to authenticate');
      await oauth.tokens.issue(result.client, ['orders:read']);
    });
    printComparison('OAuth tokens issued (per second)', bareSign, [issued]);

    const record = await oauth.registry.find(client.client_id);
    if (!record) throw new Error('bench client missing');
    const tokens = await Promise.all(
      Array.from({ length: 2000 }, () => oauth.tokens.issue(record, ['orders:read']).then((t) => t.token)),
    );
    const issuer = oauth.audience.issuer();
    let i = 0;
    const bareVerify = await measure('bare ES256 verify (node:crypto)', () =>
      verify('sha256', payload, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature),
    );
    const joseFresh = await measure('jose jwtVerify, a fresh token each time', () =>
      jwtVerify(tokens[i++ % tokens.length] as string, publicKey, {
        issuer,
        audience: issuer,
        typ: 'at+jwt',
      }),
    );
    const { strategy, close } = oauthDataPath(oauth, {
      config: deployment.config,
      redis: null,
      securityEvents,
      logger: deployment.services.logger,
    });
    const credential = { via: 'bearer' as const, value: tokens[0] as string };
    const authContext = { ip: '127.0.0.1', environment: undefined };
    const gatewayCheck = await measure('gateway Bearer-JWT strategy, token seen before', () =>
      strategy.authenticate(credential, authContext),
    );
    printComparison('JWT verifications (per second)', bareVerify, [joseFresh, gatewayCheck]);
    await close();
  } finally {
    await deployment.close();
  }
}
