import { createPublicKey, sign, verify } from 'node:crypto';
import { jwtVerify } from 'jose';
import type { AuditContext } from '../src/audit/audit-log.ts';
import type { ClientRecord } from '../src/oauth/client-registry.ts';
import { oauthDataPath, startOAuth } from '../src/oauth/oauth.ts';
import { openBenchDeployment } from './deployment.ts';
import { abbaRounds, measure, median, printRounds } from './harness.ts';

const secretIdOf = (record: ClientRecord) => record.secrets[0]?.id ?? '';
const context: AuditContext = { actor: { type: 'system', id: null, name: 'bench' } };
const ROUNDS = 4;
const DURATION_MS = 1000;

/**
 * Tokens issued per second (client authentication + signing) beside one bare ES256 signature, and
 * JWT verifications per second (jose on a fresh token; the gateway strategy on a token it has seen)
 * beside one bare ES256 signature check; ABBA rounds, ending with the JSON line.
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

    const bareSign = () => sign('sha256', payload, es256);
    const issue = async () => {
      const result = await oauth.registry.authenticate(client.client_id, secret);
      if (!result.ok) throw new Error('bench client failed to authenticate');
      await oauth.tokens.issue(result.client, result.secretId, ['orders:read']);
    };
    await measure('warm-up', bareSign, { durationMs: 300 });
    await measure('warm-up', issue, { durationMs: 300 });
    const signLabel = 'bare ES256 sign (node:crypto)';
    const issueLabel = 'token issued (client auth + JWT)';
    const issued = await abbaRounds(
      { label: signLabel, run: () => measure(signLabel, bareSign, { durationMs: DURATION_MS, warmupMs: 0 }) },
      { label: issueLabel, run: () => measure(issueLabel, issue, { durationMs: DURATION_MS, warmupMs: 0 }) },
      ROUNDS,
    );
    const tokenRatio = printRounds('OAuth tokens issued (per second)', signLabel, issueLabel, issued);

    const record = await oauth.registry.find(client.client_id);
    if (!record) throw new Error('bench client missing');
    const tokens = await Promise.all(
      Array.from({ length: 2000 }, () =>
        oauth.tokens.issue(record, secretIdOf(record), ['orders:read']).then((t) => t.token),
      ),
    );
    const issuer = oauth.audience.issuer();
    let i = 0;
    const bareVerify = () =>
      verify('sha256', payload, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
    const joseFresh = () =>
      jwtVerify(tokens[i++ % tokens.length] as string, publicKey, {
        issuer,
        audience: issuer,
        typ: 'at+jwt',
      });
    const { strategy, close } = oauthDataPath(oauth, {
      config: deployment.config,
      redis: null,
      securityEvents,
      logger: deployment.services.logger,
    });
    const credential = { via: 'bearer' as const, value: tokens[0] as string };
    const authContext = { ip: '127.0.0.1', environment: undefined };
    const gatewayCheck = () => strategy.authenticate(credential, authContext);
    const verifyLabel = 'bare ES256 verify (node:crypto)';
    const joseLabel = 'jose jwtVerify, a fresh token each time';
    const gatewayLabel = 'gateway Bearer-JWT strategy, token seen before';
    const verified = await abbaRounds(
      { label: verifyLabel, run: () => measure(verifyLabel, bareVerify, { durationMs: DURATION_MS }) },
      { label: joseLabel, run: () => measure(joseLabel, joseFresh, { durationMs: DURATION_MS }) },
      2,
    );
    const joseRatio = printRounds('JWT verifications (per second)', verifyLabel, joseLabel, verified);
    const gateway = await measure(gatewayLabel, gatewayCheck, { durationMs: DURATION_MS });
    await close();
    console.log(
      JSON.stringify({
        bench: 'oauth',
        ratios: {
          token_issued_vs_es256_sign: tokenRatio,
          jose_verify_vs_es256_verify: joseRatio,
          gateway_seen_token_vs_es256_verify: Number((gateway.opsPerSecond / median(verified.a)).toFixed(1)),
        },
        figures: {
          es256_sign_per_s: Math.round(issued.a.reduce((x, y) => x + y) / issued.a.length),
          token_issued_per_s: Math.round(issued.b.reduce((x, y) => x + y) / issued.b.length),
          token_round_ratios: issued.ratios.map((r) => Number(r.toFixed(3))),
          gateway_seen_token_per_s: Math.round(gateway.opsPerSecond),
        },
      }),
    );
  } finally {
    await deployment.close();
  }
}
