import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect as tcpConnect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as tlsConnect } from 'node:tls';
import { recordSecret } from '../support/artifacts.ts';
import { eventually } from '../support/eventually.ts';
import { newKey as issueKey, newIntegrator } from '../support/fixtures.ts';
import { type RawReply, sendRaw } from '../support/raw-http.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { type RecordingUpstream, startRecordingUpstream } from '../support/upstream.ts';

const GATEWAY_CONFIG = `
routes:
  - method: GET
    path: /v1/orders
    scopes: []
limits:
  headers_timeout_ms: 1000
  request_timeout_ms: 5000
plain_http:
  revoke_exposed_credentials: true
`;

/** Resolves when the server closes a connection that sent `bytes` (nothing by default); rejects after `withinMs`. */
async function closedByServer(url: string, withinMs: number, bytes?: Buffer): Promise<void> {
  const { hostname, port } = new URL(url);
  const socket = tcpConnect(Number(port), hostname);
  socket.on('error', () => {});
  await once(socket, 'connect');
  if (bytes !== undefined) socket.write(bytes);
  socket.resume();
  const closed = once(socket, 'close');
  const deadline = sleep(withinMs, 'timeout', { ref: false });
  const outcome = await Promise.race([closed.then(() => 'closed'), deadline]);
  socket.destroy();
  assert.equal(
    outcome,
    'closed',
    `${url} kept a connection that ${bytes ? 'stalled in' : 'never started'} TLS`,
  );
}

/** Whether a TLS 1.2 client offering only `ciphers` completes a handshake. */
async function handshakes(url: string, ca: Buffer, ciphers: string, maxVersion: 'TLSv1.2' | 'TLSv1.3') {
  const { hostname, port } = new URL(url);
  const socket = tlsConnect({
    host: hostname,
    port: Number(port),
    ca,
    ciphers,
    maxVersion,
    servername: 'localhost',
  });
  try {
    await once(socket, 'secureConnect');
    return { ok: true, cipher: socket.getCipher().name, version: socket.getProtocol() };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  } finally {
    socket.destroy();
  }
}

const CBC_ONLY =
  'ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA';
const AEAD = 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256';
/** Plain HTTP that stops after the request line. */
const STALLED_PLAIN_REQUEST = Buffer.from('GET /v1/orders HTTP/1.1\r\nHost: x\r\n');
/** A client hello cut short: a TLS record header announcing 512 bytes, then silence. */
const PARTIAL_CLIENT_HELLO = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00]);

describe('plain HTTP: every credential is treated as exposed, on every port', () => {
  let server: TestServer;
  let upstream: RecordingUpstream;
  let integratorId: string;

  before(async () => {
    upstream = await startRecordingUpstream('sandbox');
    server = await startTestServer({
      name: 'plain-http',
      gatewayFile: GATEWAY_CONFIG,
      env: {
        GATEHOUSE_UPSTREAM_SANDBOX: upstream.url,
        GATEHOUSE_HTTP_PORT: '0',
      },
    });
    integratorId = await newIntegrator(server, { name: 'Plain Corp' });
  });
  after(async () => {
    await server?.close();
    await upstream?.close();
  });

  const newKey = async (): Promise<{ id: string; key: string }> =>
    issueKey(server, { integrator_id: integratorId, name: 'plain http test' });

  /** Waits (bounded) until the credential's exposure event is stored and, when asked, it is revoked. */
  const exposureOf = async (credentialId: string, revokedAt?: string) => {
    const event: { source: string; details: Record<string, unknown> } = await eventually(
      async () =>
        (
          await server.admin(
            'GET',
            `/admin/v1/security-events?event=credential_over_plain_http&credential_id=${credentialId}`,
          )
        ).json.data[0],
      { what: `a credential_over_plain_http event for ${credentialId}` },
    );
    if (revokedAt !== undefined) {
      await eventually(async () => (await server.admin('GET', revokedAt)).json.status === 'revoked', {
        what: `${credentialId} to be revoked`,
      });
    }
    return event;
  };

  const assertRefusal = (reply: RawReply) => {
    assert.equal(reply.status, 403, reply.head);
    assert.equal(reply.json?.code, 'https_required');
    assert.match(reply.head, /\r\ncontent-type: application\/problem\+json\r\n/i);
    assert.match(reply.head, /\r\nconnection: close(\r\n|$)/i);
    assert.doesNotMatch(reply.head, /\r\nlocation:/i, 'never a redirect');
  };

  it('on the plain-HTTP listener, a key in any of eight spellings (or in a request without Host, or not valid HTTP) is recorded as exposed and revoked', async () => {
    const plainUrl = server.gatehouse.plainHttpUrl;
    assert.ok(plainUrl);
    const keys = await Promise.all(Array.from({ length: 12 }, newKey));
    const k = keys.map((key) => key.key);
    const request = (target: string, headers: string) =>
      `GET ${target} HTTP/1.1\r\nHost: api.example.test\r\n${headers}Connection: close\r\n\r\n`;
    const forms: [string, string, number[]][] = [
      ['X-API-Key', request('/v1/orders', `X-API-Key: ${k[0]}\r\n`), [0]],
      ['Bearer', request('/v1/orders', `Authorization: Bearer ${k[1]}\r\n`), [1]],
      [
        'both headers',
        request('/v1/orders', `X-API-Key: ${k[2]}\r\nAuthorization: Bearer ${k[3]}\r\n`),
        [2, 3],
      ],
      ['repeated X-API-Key', request('/v1/orders', `X-API-Key: ${k[4]}\r\nX-API-Key: ${k[5]}\r\n`), [4, 5]],
      [
        'Basic',
        request(
          '/v1/orders',
          `Authorization: Basic ${Buffer.from(`${keys[6]?.id}:${k[6]}`).toString('base64')}\r\n`,
        ),
        [6],
      ],
      ['Bearer<TAB>', request('/v1/orders', `Authorization: Bearer\t${k[7]}\r\n`), [7]],
      ['?api_key=', request(`/v1/orders?api_key=${k[8]}`, ''), [8]],
      ['in the path', request(`/v1/keys/${k[9]}/orders`, ''), [9]],
      ['no Host', `GET /v1/orders HTTP/1.1\r\nX-API-Key: ${k[10]}\r\nConnection: close\r\n\r\n`, [10]],
      ['not valid HTTP', `GET /v1/orders HTTP/1.1\r\nHost: x\r\nX-API-Key ${k[11]}\r\n\r\n`, [11]],
    ];
    for (const [name, bytes] of forms) {
      const reply = await sendRaw(plainUrl, bytes);
      assert.equal(reply.status, 403, name);
      assertRefusal(reply);
    }
    for (const [name, , indexes] of forms) {
      for (const index of indexes) {
        const key = keys[index] as { id: string; key: string };
        const event = await exposureOf(key.id, `/admin/v1/keys/${key.id}`);
        assert.equal(event.details.revoked, true, name);
        assert.equal(event.details.channel, 'plain_http_listener', name);
        assert.ok(!JSON.stringify(event).includes(key.key), 'the event never holds the secret');
      }
    }
    assert.equal(
      (await server.data('/v1/orders', { headers: { 'x-api-key': k[9] as string } })).json.code,
      'key_revoked',
    );
  });

  it('a request cut short is refused and its key revoked on every port, whether the client goes silent, half-closes, never sends its body or sends a large one', async () => {
    const partial = (key: string) => `GET /v1/orders HTTP/1.1\r\nHost: x\r\nX-API-Key: ${key}\r\n`;
    const bodyNeverSent = (key: string) =>
      `POST /v1/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\nX-API-Key: ${key}\r\n\r\n{`;
    // Answered after 16 KiB of body; the key after that is found in what follows the answer.
    const largeBody = (key: string) => {
      const body = `${'x'.repeat(20_000)}&api_key=${key}`;
      return `POST /v1/orders HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    };
    const cases = [server.dataUrl, server.adminUrl, server.gatehouse.plainHttpUrl ?? ''].flatMap((url) => [
      { url, bytes: partial, halfClose: false },
      { url, bytes: partial, halfClose: true },
      { url, bytes: bodyNeverSent, halfClose: false },
      { url, bytes: largeBody, halfClose: false },
    ]);
    const keys = await Promise.all(cases.map(() => newKey()));
    // The silent ones are answered at the port's deadline: 1 s on the data port here, 10 s on the admin port.
    const replies = await Promise.all(
      cases.map(({ url, bytes, halfClose }, i) => sendRaw(url, bytes(keys[i]?.key ?? ''), { halfClose })),
    );
    for (const reply of replies) assertRefusal(reply);
    for (const key of keys) await exposureOf(key.id, `/admin/v1/keys/${key.id}`);
  });

  it('a key a client keeps sending after the refusal (within the first 64 KiB) is exposed too', async () => {
    const key = await newKey();
    const { hostname, port } = new URL(server.dataUrl);
    const socket = tcpConnect(Number(port), hostname);
    socket.write(`POST /v1/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 40000\r\n\r\n${'x'.repeat(20_000)}`);
    await once(socket, 'data');
    socket.end(`&api_key=${key.key}`);
    await exposureOf(key.id, `/admin/v1/keys/${key.id}`);
    socket.destroy();
  });

  it('an HTTP/2 cleartext preface and a PROXY protocol line on a TLS port are told to use HTTPS', async () => {
    const preface = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';
    const proxied = Buffer.concat([
      Buffer.from('PROXY TCP4 192.0.2.1 192.0.2.2 51000 443\r\n'),
      PARTIAL_CLIENT_HELLO,
    ]);
    const replies = await Promise.all([
      sendRaw(server.dataUrl, preface),
      sendRaw(server.adminUrl, preface),
      sendRaw(server.dataUrl, proxied),
      sendRaw(server.adminUrl, proxied, { halfClose: true }),
    ]);
    for (const reply of replies) assertRefusal(reply);
  });

  it('an OAuth client secret sent over plain HTTP with its client id (form body or Basic) names the client and revokes it', async () => {
    const newClient = async () => {
      const client = await server.admin('POST', '/admin/v1/clients', {
        body: { integrator_id: integratorId, name: 'leaky job', environment: 'sandbox', scopes: [] },
      });
      assert.equal(client.status, 201, client.text);
      return { id: client.json.id as string, secret: recordSecret(client.json.client_secret) as string };
    };
    const [inBody, inBasic, bystander] = await Promise.all([newClient(), newClient(), newClient()]);
    const body = `grant_type=client_credentials&client_id=${inBody.id}&client_secret=${inBody.secret}`;
    const basic = Buffer.from(`${inBasic.id}:${inBasic.secret}`).toString('base64');
    const form = 'Host: x\r\nContent-Type: application/x-www-form-urlencoded\r\n';
    const replies = await Promise.all([
      sendRaw(
        server.dataUrl,
        `POST /oauth/token HTTP/1.1\r\n${form}Content-Length: ${body.length}\r\n\r\n${body}`,
      ),
      sendRaw(server.adminUrl, `POST /oauth/token HTTP/1.1\r\n${form}Authorization: Basic ${basic}\r\n\r\n`),
      // Naming a client with a secret that is not its own gets nobody's client revoked.
      sendRaw(
        server.gatehouse.plainHttpUrl ?? '',
        `POST /oauth/token?client_id=${bystander.id}&client_secret=${inBody.secret} HTTP/1.1\r\nHost: x\r\n\r\n`,
      ),
    ]);
    for (const reply of replies) assertRefusal(reply);
    for (const [client, location] of [
      [inBody, 'body'],
      [inBasic, 'header:authorization'],
    ] as const) {
      const event = await exposureOf(client.id, `/admin/v1/clients/${client.id}`);
      assert.equal(event.details.location, location);
      assert.equal(event.details.identified, true);
      assert.equal(event.details.revoked, true);
      assert.equal(event.details.kind, 'cstest');
    }
    const unmatched: { credential_id: string | null } = await eventually(
      async () =>
        (
          await server.admin('GET', '/admin/v1/security-events?event=credential_over_plain_http&limit=200')
        ).json.data.find(
          (e: { details: Record<string, unknown> }) =>
            e.details.channel === 'plain_http_listener' && e.details.kind === 'cstest',
        ),
      { what: 'the event of the secret sent with another client id' },
    );
    assert.equal(unmatched.credential_id, null, 'a secret sent with another client id is not that client');
    assert.equal((await server.admin('GET', `/admin/v1/clients/${bystander.id}`)).json.status, 'active');
  });

  it('plain HTTP to the data TLS port is refused in plain HTTP, its credentials are exposed, and TLS still works', async () => {
    const key = await newKey();
    const reply = await sendRaw(
      server.dataUrl,
      `GET /v1/orders HTTP/1.1\r\nHost: api.example.test\r\nX-API-Key: ${key.key}\r\n\r\n`,
    );
    assertRefusal(reply);
    const event = await exposureOf(key.id, `/admin/v1/keys/${key.id}`);
    assert.equal(event.details.channel, 'plain_http_on_tls_port');
    assert.equal(event.source, 'gateway');
    assert.equal((await server.data('/healthz')).status, 200, 'TLS still works on the same port');
  });

  it('an OAuth access token sent in plain HTTP is revoked by itself, not its client', async () => {
    const client = await server.admin('POST', '/admin/v1/clients', {
      body: { integrator_id: integratorId, name: 'plain job', environment: 'sandbox', scopes: [] },
    });
    assert.equal(client.status, 201, client.text);
    recordSecret(client.json.client_secret);
    const basic = Buffer.from(`${client.json.client_id}:${client.json.client_secret}`).toString('base64');
    const issue = () =>
      server.data('/oauth/token', {
        method: 'POST',
        body: 'grant_type=client_credentials',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
      });
    const token = recordSecret((await issue()).json.access_token);
    assert.equal(
      (await server.data('/v1/orders', { headers: { authorization: `Bearer ${token}` } })).status,
      200,
    );
    assertRefusal(
      await sendRaw(
        server.gatehouse.plainHttpUrl ?? '',
        `GET /v1/orders?access_token=${token} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      ),
    );
    const event = await exposureOf(client.json.id);
    assert.equal(event.details.kind, 'jwt');
    await eventually(
      async () =>
        (await server.data('/v1/orders', { headers: { authorization: `Bearer ${token}` } })).status === 401,
      { timeoutMs: 5000, what: 'the exposed token to stop working' },
    );
    const fresh = recordSecret((await issue()).json.access_token);
    assert.equal(
      (await server.data('/v1/orders', { headers: { authorization: `Bearer ${fresh}` } })).status,
      200,
    );
  });

  it('plain HTTP to the admin TLS port is refused in plain HTTP, an admin token there is revoked, and TLS still works', async () => {
    const created = await server.admin('POST', '/admin/v1/admin-tokens', {
      body: { name: 'leaky', role: 'auditor' },
    });
    assert.equal(created.status, 201, created.text);
    const key = await newKey();
    const reply = await sendRaw(
      server.adminUrl,
      `GET /admin/v1/keys?key=${key.key} HTTP/1.1\r\nHost: admin.example.test\r\n` +
        `Authorization: Bearer ${created.json.token}\r\n\r\n`,
    );
    assertRefusal(reply);
    const tokenEvent = await exposureOf(created.json.id);
    assert.equal(tokenEvent.source, 'admin');
    assert.equal(tokenEvent.details.kind, 'admin');
    assert.equal(tokenEvent.details.revoked, true);
    await exposureOf(key.id, `/admin/v1/keys/${key.id}`);
    const revoked = await server.admin('GET', '/admin/v1/keys', { token: created.json.token });
    assert.equal(revoked.status, 401, 'the exposed admin token no longer works');
    assert.equal(
      (await server.admin('GET', '/admin/v1/keys')).status,
      200,
      'TLS still works on the admin port',
    );
  });

  it('both TLS ports refuse a TLS 1.2 client that offers only CBC suites and accept AEAD and TLS 1.3', async () => {
    for (const url of [server.dataUrl, server.adminUrl]) {
      const cbc = await handshakes(url, server.ca, CBC_ONLY, 'TLSv1.2');
      assert.equal(cbc.ok, false, `${url} negotiated ${cbc.cipher}`);
      const aead = await handshakes(url, server.ca, AEAD, 'TLSv1.2');
      assert.equal(aead.ok, true, aead.error);
      const tls13 = await handshakes(url, server.ca, AEAD, 'TLSv1.3');
      assert.equal(tls13.version, 'TLSv1.3');
    }
  });

  it('both TLS ports close a connection that never starts TLS, stalls in the client hello or in a plain request', async () => {
    // The data port's bound is the gateway file's headers timeout (1 s here), the admin port's 10 s.
    await Promise.all([
      closedByServer(server.dataUrl, 5_000),
      closedByServer(server.dataUrl, 5_000, PARTIAL_CLIENT_HELLO),
      closedByServer(server.adminUrl, 15_000),
      closedByServer(server.adminUrl, 15_000, PARTIAL_CLIENT_HELLO),
      closedByServer(server.dataUrl, 5_000, STALLED_PLAIN_REQUEST),
      closedByServer(server.adminUrl, 15_000, STALLED_PLAIN_REQUEST),
    ]);
  });
});
