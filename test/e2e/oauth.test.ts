import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRemoteJWKSet, customFetch, decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { Agent, fetch as undiciFetch } from 'undici';
import type { ClientRecord } from '../../src/oauth/client-registry.ts';
import { recordSecret } from '../support/artifacts.ts';
import type { HttpResponse } from '../support/https-client.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { type RecordingUpstream, startRecordingUpstream } from '../support/upstream.ts';

const GATEWAY_CONFIG = {
  routes: [
    { method: 'GET', path: '/v1/orders', scopes: ['orders:read'] },
    { method: 'POST', path: '/v1/orders', scopes: ['orders:write'] },
  ],
};

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const FORM = 'application/x-www-form-urlencoded';
/** The id of the client's one secret, which a token issued directly (not at /oauth/token) names. */
const secretIdOf = (record: ClientRecord) => record.secrets[0]?.id ?? '';

describe('OAuth client credentials end to end', () => {
  let server: TestServer;
  let sandbox: RecordingUpstream;
  let production: RecordingUpstream;
  let integratorId: string;

  before(async () => {
    sandbox = await startRecordingUpstream('sandbox');
    production = await startRecordingUpstream('production');
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-oauth-e2e-'));
    writeFileSync(join(dir, 'gatehouse.config.json'), JSON.stringify(GATEWAY_CONFIG));
    server = await startTestServer({
      name: 'oauth',
      env: {
        GATEHOUSE_CONFIG_FILE: join(dir, 'gatehouse.config.json'),
        GATEHOUSE_UPSTREAM_SANDBOX: sandbox.url,
        GATEHOUSE_UPSTREAM_PRODUCTION: production.url,
        GATEHOUSE_OAUTH_TOKEN_RATE: '1000',
      },
    });
    integratorId = (await server.admin('POST', '/admin/v1/integrators', { body: { name: 'Umbrella' } })).json
      .id;
  });
  after(async () => {
    await server.close();
    await sandbox.close();
    await production.close();
  });

  const createClient = async (extra: Record<string, unknown> = {}) => {
    const created = await server.admin('POST', '/admin/v1/clients', {
      body: {
        integrator_id: integratorId,
        name: 'reporting job',
        environment: 'sandbox',
        scopes: ['orders:read', 'orders:write'],
        ...extra,
      },
    });
    assert.equal(created.status, 201, created.text);
    recordSecret(created.json.client_secret);
    return created.json as { id: string; client_id: string; client_secret: string };
  };
  const tokenRequest = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
    server.data('/oauth/token', {
      method: 'POST',
      body: form(fields),
      headers: { 'content-type': FORM, ...headers },
    });
  const getToken = async (
    client: { client_id: string; client_secret: string },
    fields: Record<string, string> = {},
  ) => {
    const response = await tokenRequest(
      { grant_type: 'client_credentials', ...fields },
      { authorization: basic(client.client_id, client.client_secret) },
    );
    assert.equal(response.status, 200, response.text);
    return recordSecret(response.json.access_token);
  };
  const callApi = (token: string, method = 'GET') =>
    server.data('/v1/orders', {
      method,
      headers: { authorization: `Bearer ${token}` },
      ...(method === 'POST'
        ? { body: '{}', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }
        : {}),
    });
  const assertOAuthError = (response: HttpResponse, status: number, error: string) => {
    assert.equal(response.status, status, response.text);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.deepEqual(Object.keys(response.json).sort(), ['error', 'error_description']);
    assert.equal(response.json.error, error);
    assert.equal(typeof response.json.error_description, 'string');
  };

  it('a client gets a token with client_secret_basic and client_secret_post, and the upstream sees its identity', async () => {
    const client = await createClient();
    assert.equal(client.client_id, client.id);
    assert.match(client.client_secret, /^gate_cstest_/);
    const shown = await server.admin('GET', `/admin/v1/clients/${client.id}`);
    assert.ok(!shown.text.includes(client.client_secret));

    const viaBasic = await tokenRequest(
      { grant_type: 'client_credentials' },
      { authorization: basic(client.client_id, client.client_secret) },
    );
    assert.equal(viaBasic.status, 200, viaBasic.text);
    assert.equal(viaBasic.headers['cache-control'], 'no-store');
    assert.equal(viaBasic.headers.pragma, 'no-cache');
    assert.equal(viaBasic.json.token_type, 'Bearer');
    assert.equal(viaBasic.json.expires_in, 3600);
    assert.equal(viaBasic.json.scope, 'orders:read orders:write');
    const token = recordSecret(viaBasic.json.access_token);

    const header = decodeProtectedHeader(token);
    assert.equal(header.typ, 'at+jwt');
    assert.equal(header.alg, 'ES256');
    assert.ok(header.kid);
    const claims = decodeJwt(token);
    for (const claim of ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id', 'scope'])
      assert.ok(claims[claim] !== undefined, claim);
    assert.equal(claims.sub, client.client_id);
    assert.equal(claims.environment, 'sandbox');

    const viaPost = await tokenRequest({
      grant_type: 'client_credentials',
      client_id: client.client_id,
      client_secret: client.client_secret,
    });
    assert.equal(viaPost.status, 200, viaPost.text);
    recordSecret(viaPost.json.access_token);

    const before = sandbox.received.length;
    const called = await callApi(token);
    assert.equal(called.status, 200, called.text);
    const seen = sandbox.received.at(-1);
    assert.equal(sandbox.received.length, before + 1);
    assert.equal(seen?.headers.authorization, undefined);
    assert.equal(seen?.headers['gatehouse-credential-id'], client.id);
    assert.equal(seen?.headers['gatehouse-integrator-id'], integratorId);
    assert.equal(seen?.headers['gatehouse-environment'], 'sandbox');
    assert.equal(seen?.headers['gatehouse-scopes'], 'orders:read orders:write');
    assert.equal(production.received.length, 0);
  });

  it('scopes can be narrowed, never widened (invalid_scope), and the narrowed token is held to them', async () => {
    const client = await createClient();
    const narrow = await getToken(client, { scope: 'orders:read' });
    assert.equal(decodeJwt(narrow).scope, 'orders:read');
    assert.equal((await callApi(narrow)).status, 200);
    const write = await callApi(narrow, 'POST');
    assert.equal(write.status, 403);
    assertOAuthError(
      await tokenRequest(
        { grant_type: 'client_credentials', scope: 'orders:read admin:all' },
        { authorization: basic(client.client_id, client.client_secret) },
      ),
      400,
      'invalid_scope',
    );
  });

  it('a wrong secret is 401 invalid_client with a Basic challenge, and a security event', async () => {
    const client = await createClient();
    const wrong = `${client.client_secret.slice(0, -1)}${client.client_secret.endsWith('A') ? 'B' : 'A'}`;
    const response = await tokenRequest(
      { grant_type: 'client_credentials' },
      { authorization: basic(client.client_id, wrong) },
    );
    assertOAuthError(response, 401, 'invalid_client');
    assert.match(String(response.headers['www-authenticate']), /^Basic realm="gatehouse"/);
    assertOAuthError(
      await tokenRequest({
        grant_type: 'client_credentials',
        client_id: client.client_id,
        client_secret: 'nope',
      }),
      401,
      'invalid_client',
    );
    assertOAuthError(await tokenRequest({ grant_type: 'client_credentials' }), 401, 'invalid_client');
    const events = await server.admin(
      'GET',
      `/admin/v1/security-events?event=oauth_client_authentication_failed&credential_id=${client.id}`,
    );
    assert.equal(events.json.data.length, 2);
    assert.deepEqual(events.json.data.map((e: { details: { method: string } }) => e.details.method).sort(), [
      'client_secret_basic',
      'client_secret_post',
    ]);
  });

  it('answers malformed token requests with RFC 6749 §5.2 errors', async () => {
    const client = await createClient();
    const auth = { authorization: basic(client.client_id, client.client_secret) };
    assertOAuthError(
      await tokenRequest({ grant_type: 'authorization_code', code: 'x' }, auth),
      400,
      'unsupported_grant_type',
    );
    assertOAuthError(await tokenRequest({ grant_type: 'password' }, auth), 400, 'unsupported_grant_type');
    assertOAuthError(await tokenRequest({}, auth), 400, 'invalid_request');
    assertOAuthError(
      await server.data('/oauth/token', {
        method: 'POST',
        body: { grant_type: 'client_credentials' },
        headers: auth,
      }),
      400,
      'invalid_request',
    );
    assertOAuthError(
      await server.data('/oauth/token', {
        method: 'POST',
        body: 'grant_type=client_credentials&grant_type=client_credentials',
        headers: { ...auth, 'content-type': FORM },
      }),
      400,
      'invalid_request',
    );
    assertOAuthError(
      await tokenRequest({ grant_type: 'client_credentials', client_secret: client.client_secret }, auth),
      400,
      'invalid_request',
    );
  });

  it('an expired token is refused by the gateway and inactive on introspection', async () => {
    const client = await createClient();
    const record = await server.gatehouse.services.oauth.registry.find(client.id);
    assert.ok(record);
    const { token } = await server.gatehouse.services.oauth.tokens.issue(
      record,
      secretIdOf(record),
      ['orders:read'],
      Date.now() - 2 * 3600_000,
    );
    recordSecret(token);
    const refused = await callApi(token);
    assert.equal(refused.status, 401);
    assert.equal(refused.json.code, 'token_expired');
    assert.match(String(refused.headers['www-authenticate']), /^Bearer/);
    const introspected = await introspect(client, token);
    assert.deepEqual(introspected.json, { active: false });
  });

  const introspect = (caller: { client_id: string; client_secret: string }, token: string) =>
    server.data('/oauth/introspect', {
      method: 'POST',
      body: form({ token }),
      headers: { 'content-type': FORM, authorization: basic(caller.client_id, caller.client_secret) },
    });

  it('introspection (RFC 7662): active with the claims for a valid token; inactive for revoked, unknown and foreign tokens', async () => {
    const client = await createClient();
    const token = await getToken(client);
    const active = await introspect(client, token);
    assert.equal(active.status, 200);
    assert.equal(active.headers['cache-control'], 'no-store');
    assert.equal(active.json.active, true);
    assert.equal(active.json.client_id, client.client_id);
    assert.equal(active.json.scope, 'orders:read orders:write');
    assert.equal(active.json.token_type, 'Bearer');
    for (const field of ['exp', 'iat', 'sub', 'aud', 'iss', 'jti'])
      assert.ok(active.json[field] !== undefined, field);

    const other = await createClient();
    assert.deepEqual((await introspect(other, token)).json, { active: false }, 'another client sees nothing');
    const resourceServer = await createClient({ scopes: ['gatehouse:introspect'] });
    assert.equal(
      (await introspect(resourceServer, token)).json.active,
      true,
      'a client with gatehouse:introspect sees every token',
    );

    assert.deepEqual((await introspect(client, 'not-a-token')).json, { active: false });
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forged = await new SignJWT({ ...decodeJwt(token) })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: decodeProtectedHeader(token).kid ?? '' })
      .sign(privateKey);
    assert.deepEqual((await introspect(client, forged)).json, { active: false });
    assert.equal((await callApi(forged)).status, 401);

    const unauthenticated = await server.data('/oauth/introspect', {
      method: 'POST',
      body: form({ token }),
      headers: { 'content-type': FORM },
    });
    assertOAuthError(unauthenticated, 401, 'invalid_client');
  });

  it('revocation (RFC 7009): the revoked token is refused at once and inactive; foreign tokens are left alone', async () => {
    const client = await createClient();
    const other = await createClient();
    const token = await getToken(client);
    assert.equal((await callApi(token)).status, 200);
    const revokeAs = (caller: typeof client) =>
      server.data('/oauth/revoke', {
        method: 'POST',
        body: form({ token, token_type_hint: 'access_token' }),
        headers: { 'content-type': FORM, authorization: basic(caller.client_id, caller.client_secret) },
      });
    assert.equal((await revokeAs(other)).status, 200);
    assert.equal((await callApi(token)).status, 200, 'another client cannot revoke it');
    const revoked = await revokeAs(client);
    assert.equal(revoked.status, 200);
    const refused = await callApi(token);
    assert.equal(refused.status, 401);
    assert.equal(refused.json.code, 'token_revoked');
    assert.deepEqual((await introspect(client, token)).json, { active: false });
    assert.equal((await revokeAs(client)).status, 200, 'revoking twice is fine');
  });

  it('after a secret rotation both secrets work during the overlap, only the new one after', async () => {
    const client = await createClient();
    const rotated = await server.admin('POST', `/admin/v1/clients/${client.id}/rotate-secret`, {
      body: { overlap_seconds: 1 },
    });
    assert.equal(rotated.status, 200, rotated.text);
    const fresh = { client_id: client.client_id, client_secret: recordSecret(rotated.json.client_secret) };
    const overlapEnd = Date.parse(
      rotated.json.secrets.find((s: { expires_at: string | null }) => s.expires_at !== null).expires_at,
    );
    // Client authentication takes the clock: the last moment of the overlap and the first after it.
    const authenticate = async (secret: string, now: number) =>
      (await server.gatehouse.services.oauth.registry.authenticate(client.client_id, secret, now)).ok;
    assert.equal(await authenticate(client.client_secret, overlapEnd - 1), true);
    assert.equal(await authenticate(fresh.client_secret, overlapEnd - 1), true);
    assert.equal(await authenticate(client.client_secret, overlapEnd), false);
    assert.equal(await authenticate(fresh.client_secret, overlapEnd), true);
    const oldSecretToken = await getToken(client);
    const newSecretToken = await getToken(fresh);
    assert.equal((await callApi(oldSecretToken)).status, 200);

    // The token endpoint reads the server's own clock, so its check waits for the overlap to end.
    await sleep(Math.max(0, overlapEnd + 50 - Date.now()));
    // A token lives no longer than the secret it was obtained with.
    const ended = await callApi(oldSecretToken);
    assert.equal(ended.status, 401);
    assert.equal(ended.json.code, 'token_revoked');
    assert.match(ended.json.detail, /client secret/);
    assert.deepEqual((await introspect(fresh, oldSecretToken)).json, { active: false });
    assert.equal((await callApi(newSecretToken)).status, 200);
    assert.equal((await introspect(fresh, newSecretToken)).json.active, true);
    assertOAuthError(
      await tokenRequest(
        { grant_type: 'client_credentials' },
        { authorization: basic(client.client_id, client.client_secret) },
      ),
      401,
      'invalid_client',
    );
    await getToken(fresh);
  });

  it('a rotation with no overlap ends the old secret’s tokens at once; the new secret’s tokens work', async () => {
    const client = await createClient();
    const before = await getToken(client);
    assert.equal((await callApi(before)).status, 200);
    const rotated = await server.admin('POST', `/admin/v1/clients/${client.id}/rotate-secret`, {
      body: { overlap_seconds: 0 },
    });
    assert.equal(rotated.status, 200, rotated.text);
    const fresh = { client_id: client.client_id, client_secret: recordSecret(rotated.json.client_secret) };
    assert.equal((await callApi(before)).json.code, 'token_revoked');
    const after = await getToken(fresh);
    assert.equal((await callApi(after)).status, 200);
    assert.deepEqual((await introspect(fresh, before)).json, { active: false });
  });

  it('after a signing-key rotation, tokens signed before it keep working and the JWKS publishes both keys', async () => {
    const client = await createClient();
    const before = await getToken(client);
    const rotated = await server.admin('POST', '/admin/v1/signing-keys/rotate');
    assert.equal(rotated.status, 200, rotated.text);
    const afterRotation = await getToken(client);
    assert.notEqual(decodeProtectedHeader(before).kid, decodeProtectedHeader(afterRotation).kid);
    assert.equal(decodeProtectedHeader(afterRotation).kid, rotated.json.kid);
    assert.equal((await callApi(before)).status, 200);
    assert.equal((await callApi(afterRotation)).status, 200);
    const jwks = await server.data('/.well-known/jwks.json');
    const kids = jwks.json.keys.map((k: { kid: string }) => k.kid);
    assert.ok(kids.includes(decodeProtectedHeader(before).kid));
    assert.ok(kids.includes(rotated.json.kid));
    for (const key of jwks.json.keys) assert.equal(key.d, undefined, 'no private key material');
    const review = await server.admin('GET', '/admin/v1/reports/access-review');
    assert.ok(
      review.json.data.some(
        (e: { id: string; credential_type: string }) =>
          e.id === client.id && e.credential_type === 'oauth_client',
      ),
    );
    const listed = await server.admin('GET', '/admin/v1/signing-keys');
    assert.equal(listed.json.data.filter((k: { status: string }) => k.status === 'active').length, 1);
  });

  it('revoking a client refuses its tokens at once', async () => {
    const client = await createClient();
    const token = await getToken(client);
    assert.equal((await callApi(token)).status, 200);
    assert.equal((await server.admin('POST', `/admin/v1/clients/${client.id}/revoke`)).status, 200);
    assert.equal((await callApi(token)).json.code, 'token_revoked');
    assertOAuthError(
      await tokenRequest(
        { grant_type: 'client_credentials' },
        { authorization: basic(client.client_id, client.client_secret) },
      ),
      401,
      'invalid_client',
    );
  });

  it('a client’s IP allowlist applies to the token endpoint and to its tokens', async () => {
    const client = await createClient({ allowed_ips: ['10.0.0.0/8'] });
    assertOAuthError(
      await tokenRequest(
        { grant_type: 'client_credentials' },
        { authorization: basic(client.client_id, client.client_secret) },
      ),
      400,
      'unauthorized_client',
    );
    const record = await server.gatehouse.services.oauth.registry.find(client.id);
    assert.ok(record);
    const { token } = await server.gatehouse.services.oauth.tokens.issue(record, secretIdOf(record), [
      'orders:read',
    ]);
    const refused = await callApi(recordSecret(token));
    assert.equal(refused.status, 403);
    assert.equal(refused.json.code, 'ip_not_allowed');
  });

  it('publishes RFC 8414 metadata whose JWKS validates issued tokens with jose’s remote key set', async () => {
    const metadata = await server.data('/.well-known/oauth-authorization-server');
    assert.equal(metadata.status, 200);
    const { issuer } = metadata.json;
    assert.match(issuer, /^https:\/\/localhost:\d+$/);
    assert.equal(metadata.json.token_endpoint, `${issuer}/oauth/token`);
    assert.equal(metadata.json.jwks_uri, `${issuer}/.well-known/jwks.json`);
    assert.equal(metadata.json.introspection_endpoint, `${issuer}/oauth/introspect`);
    assert.equal(metadata.json.revocation_endpoint, `${issuer}/oauth/revoke`);
    assert.deepEqual(metadata.json.grant_types_supported, ['client_credentials']);
    assert.deepEqual(metadata.json.token_endpoint_auth_methods_supported, [
      'client_secret_basic',
      'client_secret_post',
    ]);
    assert.ok(Array.isArray(metadata.json.response_types_supported));

    const client = await createClient();
    const token = await getToken(client);
    const dispatcher = new Agent({ connect: { ca: server.ca } });
    const jwks = createRemoteJWKSet(new URL(metadata.json.jwks_uri), {
      [customFetch]: (url, options) =>
        undiciFetch(url, { ...(options as object), dispatcher }) as unknown as Promise<Response>,
    });
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer,
      audience: issuer,
      typ: 'at+jwt',
      algorithms: ['ES256'],
    });
    assert.equal(payload.client_id, client.client_id);
    assert.equal(protectedHeader.typ, 'at+jwt');
    await assert.rejects(jwtVerify(token, jwks, { issuer: 'https://evil.example', audience: issuer }));
    await dispatcher.close();
  });
});
