import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { generateCredential } from '../../src/crypto/key-format.ts';
import { issueAccessToken } from '../support/access-token.ts';
import { recordSecret } from '../support/artifacts.ts';
import type { HttpResponse } from '../support/https-client.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { type RecordingUpstream, startRecordingUpstream } from '../support/upstream.ts';

const GATEWAY_CONFIG = `
environments:
  production:
    hosts: [api.gatehouse.test]
  sandbox:
    hosts: [sandbox.gatehouse.test]
routes:
  - method: GET
    path: /v1/orders
    scopes: []
`;

/**
 * A credential sent to the wrong place is refused saying what kind it is and where it belongs,
 * judged by its shape alone: nothing in the answer depends on whether it exists, and no answer
 * holds any part of it. A key or token of the wrong environment is told both environments.
 */
describe('credentials sent to the wrong place are told where they belong', () => {
  let server: TestServer;
  let upstream: RecordingUpstream;
  // A Host header of the gateway file's hosts also names the TLS server; the development
  // certificate is for localhost, so only the CA is checked here.
  let byHost: Agent;
  const credentials: Record<string, string> = {};

  before(async () => {
    upstream = await startRecordingUpstream('both');
    server = await startTestServer({
      name: 'misplaced-credentials',
      gatewayFile: GATEWAY_CONFIG,
      env: {
        GATEHOUSE_UPSTREAM_SANDBOX: upstream.url,
        GATEHOUSE_UPSTREAM_PRODUCTION: upstream.url,
        GATEHOUSE_WEBHOOK_ALLOW_PRIVATE: '1',
      },
    });
    byHost = new Agent({ connect: { ca: server.ca, checkServerIdentity: () => undefined } });
    const integrator = (await server.admin('POST', '/admin/v1/integrators', { body: { name: 'Lost' } })).json
      .id;
    credentials.sandboxKey = (
      await server.admin('POST', '/admin/v1/keys', {
        body: { integrator_id: integrator, name: 'k', environment: 'sandbox', scopes: [] },
      })
    ).json.key;
    const client = await server.admin('POST', '/admin/v1/clients', {
      body: { integrator_id: integrator, name: 'c', environment: 'sandbox', scopes: [] },
    });
    credentials.clientSecret = recordSecret(client.json.client_secret);
    credentials.accessToken = await issueAccessToken(server, client.json);
    await server.admin('POST', '/admin/v1/event-types', { body: { name: 'lost.found', schema: {} } });
    credentials.webhookSecret = recordSecret(
      (
        await server.admin('POST', '/admin/v1/webhook-endpoints', {
          body: {
            integrator_id: integrator,
            environment: 'sandbox',
            url: 'https://127.0.0.1:9/h',
            event_types: ['lost.found'],
          },
        })
      ).json.secret,
    );
    credentials.otherDeploymentKey = recordSecret(generateCredential('acme', 'live'));
    const admin = server.ownerToken;
    credentials.adminTypo = `${admin.slice(0, -1)}${admin.endsWith('x') ? 'y' : 'x'}`;
    credentials.unknownAdmin = recordSecret(generateCredential('gate', 'admin'));
  });
  after(async () => {
    await byHost.close();
    await server.close();
    await upstream.close();
  });

  const assertRefusal = (response: HttpResponse, status: number, code: string, detail: RegExp) => {
    assert.equal(response.status, status, response.text);
    assert.equal(response.json.code, code, response.text);
    assert.match(response.json.detail, detail);
    for (const secret of [...Object.values(credentials), server.ownerToken]) {
      const body = secret.slice(secret.lastIndexOf('_') + 1);
      assert.ok(!response.text.includes(body.slice(0, 8)), 'no part of any credential is in the answer');
    }
  };
  const gateway = async (
    headers: Record<string, string>,
    host = 'sandbox.gatehouse.test',
  ): Promise<HttpResponse> => {
    const response = await request(`${server.dataUrl}/v1/orders`, {
      headers: { host, ...headers },
      dispatcher: byHost,
    });
    const text = await response.body.text();
    return { status: response.statusCode, headers: response.headers, text, json: JSON.parse(text || 'null') };
  };

  it('the gateway says an admin token, a client secret or a webhook secret is not what it takes', async () => {
    for (const headers of [
      { 'x-api-key': server.ownerToken },
      { authorization: `Bearer ${server.ownerToken}` },
    ]) {
      assertRefusal(
        await gateway(headers),
        401,
        'wrong_credential_kind',
        /admin token: it belongs to the admin API/,
      );
    }
    assertRefusal(
      await gateway({ authorization: `Bearer ${credentials.clientSecret}` }),
      401,
      'wrong_credential_kind',
      /OAuth client secret: exchange it at POST \/oauth\/token/,
    );
    for (const headers of [
      { 'x-api-key': credentials.webhookSecret as string },
      { authorization: `Bearer ${credentials.webhookSecret}` },
    ]) {
      assertRefusal(await gateway(headers), 401, 'wrong_credential_kind', /webhook signing secret/);
    }
  });

  it("the gateway tells a key of another deployment from a typo in one of this deployment's", async () => {
    for (const headers of [
      { 'x-api-key': credentials.otherDeploymentKey as string },
      { authorization: `Bearer ${credentials.otherDeploymentKey}` },
    ]) {
      assertRefusal(
        await gateway(headers),
        401,
        'key_unknown',
        /another Gatehouse deployment: .* start with gate_/,
      );
    }
    const key = credentials.sandboxKey as string;
    const typo = `${key.slice(0, -1)}${key.endsWith('x') ? 'y' : 'x'}`;
    assertRefusal(await gateway({ 'x-api-key': typo }), 401, 'key_malformed', /typo/);
  });

  it('wrong_environment names the environment of the key or token and of the host', async () => {
    assertRefusal(
      await gateway({ 'x-api-key': credentials.sandboxKey as string }, 'api.gatehouse.test'),
      403,
      'wrong_environment',
      /This is a sandbox API key and this host serves production/,
    );
    assertRefusal(
      await gateway({ authorization: `Bearer ${credentials.accessToken}` }, 'api.gatehouse.test'),
      403,
      'wrong_environment',
      /This is a sandbox access token and this host serves production/,
    );
    assert.equal((await gateway({ 'x-api-key': credentials.sandboxKey as string })).status, 200);
  });

  it('the admin API says which kind of credential it was sent instead of an admin token', async () => {
    const admin = (token: string) => server.admin('GET', '/admin/v1/keys', { token });
    assertRefusal(
      await admin(credentials.sandboxKey as string),
      401,
      'wrong_credential_kind',
      /This is an API key/,
    );
    assertRefusal(
      await admin(credentials.clientSecret as string),
      401,
      'wrong_credential_kind',
      /OAuth client secret: it belongs at the gateway's POST \/oauth\/token/,
    );
    assertRefusal(
      await admin(credentials.accessToken as string),
      401,
      'wrong_credential_kind',
      /OAuth access token/,
    );
    assertRefusal(
      await admin(credentials.webhookSecret as string),
      401,
      'wrong_credential_kind',
      /webhook signing secret/,
    );
    assertRefusal(
      await server.admin('GET', '/admin/v1/keys', {
        token: null,
        headers: { 'x-api-key': credentials.sandboxKey as string },
      }),
      401,
      'missing_credentials',
      /X-API-Key carries API keys, which belong to the gateway/,
    );
    assertRefusal(
      await admin(credentials.adminTypo as string),
      401,
      'invalid_token',
      /not well-formed; check it for a typo/,
    );
    assertRefusal(
      await admin(credentials.unknownAdmin as string),
      401,
      'invalid_token',
      /^The admin token is not valid$/,
    );
  });
});
