import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateCredential } from '../../src/crypto/key-format.ts';
import { recordSecret } from '../support/artifacts.ts';
import { eventually } from '../support/eventually.ts';
import { newIntegrator, newKey } from '../support/fixtures.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

/** The server has no upstream: a key that authenticates gets this, a revoked one `key_revoked`. */
const AUTHENTICATED = 'upstream_not_configured';
const KEY_ID = 'test-code-host-key-1';

function p256(): { privateKey: KeyObject; pem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, pem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('the leaked-credential receiver (GitHub secret-scanning partner protocol)', () => {
  const codeHost = p256();
  const impostor = p256();
  let server: TestServer;
  let receiver: WebhookReceiver;
  let integratorId: string;

  const report = (body: string, options: { by?: KeyObject; keyId?: string } = {}) =>
    server.data('/secret-scanning/github', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'github-public-key-identifier': options.keyId ?? KEY_ID,
        'github-public-key-signature': sign(
          'sha256',
          Buffer.from(body),
          options.by ?? codeHost.privateKey,
        ).toString('base64'),
      },
      body,
    });
  const matches = (...tokens: string[]) =>
    JSON.stringify(
      tokens.map((token) => ({
        token,
        type: 'gatehouse_api_key',
        url: 'https://github.com/octo/repo/blob/0123abc/.env',
        source: 'content',
      })),
    );
  const leakAlert = async (credentialId: string) =>
    (
      (await server.admin('GET', '/admin/v1/alerts?rule=credential_leaked')).json.data as {
        subject: string;
        count: number;
      }[]
    ).find((alert) => alert.subject === `credential:${credentialId}`);
  /** Everything a report about this credential leaves behind, as the admin API shows it. */
  const effectsOn = async (credentialId: string) => {
    const list = async (path: string) => {
      const page = await server.admin('GET', path);
      assert.equal(page.status, 200, page.text);
      return page.json.data as unknown[];
    };
    const key = await server.admin('GET', `/admin/v1/keys/${credentialId}`);
    assert.equal(key.status, 200, key.text);
    return {
      events: await list(`/admin/v1/security-events?credential_id=${credentialId}`),
      audit: await list(`/admin/v1/audit?target_id=${credentialId}`),
      alert: await leakAlert(credentialId),
      messages: await list(`/admin/v1/webhook-messages?integrator_id=${integratorId}`),
      deliveries: await list(`/admin/v1/webhook-deliveries?integrator_id=${integratorId}`),
      received: receiver.receivedAt('/security').length,
      key: key.json,
    };
  };
  const gatewayCode = async (key: string) =>
    (await server.data('/v1/orders', { headers: { 'x-api-key': key } })).json?.code as string | undefined;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-leak-keys-'));
    const keysFile = join(dir, 'secret-scanning-keys.json');
    writeFileSync(
      keysFile,
      JSON.stringify({ public_keys: [{ key_identifier: KEY_ID, key: codeHost.pem, is_current: true }] }),
    );
    receiver = await startWebhookReceiver();
    server = await startTestServer({
      name: 'leak-receiver',
      env: {
        GATEHOUSE_SECRET_SCANNING_KEYS_FILE: keysFile,
        GATEHOUSE_WEBHOOK_ALLOW_PRIVATE: '1',
        GATEHOUSE_WEBHOOK_CA_FILE: receiver.caFile,
      },
    });
    integratorId = await newIntegrator(server);
    const endpoint = await server.admin('POST', '/admin/v1/webhook-endpoints', {
      body: {
        integrator_id: integratorId,
        environment: 'sandbox',
        url: `${receiver.url}/security`,
        event_types: ['credential.leaked'],
      },
    });
    assert.equal(endpoint.status, 201, endpoint.text);
    recordSecret(endpoint.json.secret);
  });
  after(async () => {
    await server.close();
    await receiver.close();
  });

  it('a signed report revokes the live key, labels every token and records the leak', async () => {
    const live = await newKey(server, { integrator_id: integratorId, name: 'committed by mistake' });
    const unknown = recordSecret(generateCredential('gate', 'test'));
    const decoy = `${live.key.slice(0, -1)}${live.key.endsWith('A') ? 'B' : 'A'}`;
    assert.equal(await gatewayCode(live.key), AUTHENTICATED);

    const answered = await report(matches(live.key, unknown, decoy, 'not-a-credential'));
    assert.equal(answered.status, 200, answered.text);
    assert.deepEqual(answered.json, [
      { token_hash: sha256(live.key), token_type: 'gatehouse_api_key', label: 'true_positive' },
      { token_hash: sha256(unknown), token_type: 'gatehouse_api_key', label: 'false_positive' },
      { token_hash: sha256(decoy), token_type: 'gatehouse_api_key', label: 'false_positive' },
      { token_hash: sha256('not-a-credential'), token_type: 'gatehouse_api_key', label: 'false_positive' },
    ]);
    assert.ok(!answered.text.includes(live.key), 'the answer echoes no token');
    assert.equal(await gatewayCode(live.key), 'key_revoked', 'the next gateway request fails');

    const events = await server.admin(
      'GET',
      `/admin/v1/security-events?event=credential_leaked&credential_id=${live.id}`,
    );
    assert.equal(events.json.data.length, 1);
    assert.equal(events.json.data[0].details.url, 'https://github.com/octo/repo/blob/0123abc/.env');
    const audit = await server.admin('GET', `/admin/v1/audit?target_id=${live.id}`);
    const revocation = (audit.json.data as { action: string; actor: { type: string; name: string } }[]).find(
      (entry) => entry.action === 'key.revoke',
    );
    assert.deepEqual(revocation?.actor, { type: 'system', id: null, name: 'github secret scanning' });

    await receiver.waitFor(
      () => receiver.receivedAt('/security').length === 1,
      10_000,
      'the credential.leaked event',
    );
    const notified = JSON.parse(receiver.receivedAt('/security')[0]?.body.toString('utf8') ?? '{}');
    assert.equal(notified.type, 'credential.leaked');
    assert.deepEqual(notified.data, {
      credential_id: live.id,
      kind: 'api_key',
      hint: notified.data.hint,
      revoked: true,
      reported_by: 'github',
      url: 'https://github.com/octo/repo/blob/0123abc/.env',
    });
    assert.ok(live.key.startsWith(notified.data.hint.replace('…', '')), 'the hint is the key’s start');

    await eventually(async () => (await leakAlert(live.id))?.count === 1, { what: 'the leak alert' });
    const before = await effectsOn(live.id);
    assert.equal(
      (before.events as { event: string }[]).filter((event) => event.event === 'credential_leaked').length,
      1,
    );
    assert.equal(before.alert?.count, 1);
    assert.equal(before.messages.length, 1);
    assert.equal(before.deliveries.length, 1);
    assert.equal(before.key.status, 'revoked');

    const replayed = await report(matches(live.key, unknown, decoy, 'not-a-credential'));
    assert.equal(replayed.status, 409);
    assert.equal(replayed.json.code, 'report_replayed');
    assert.ok(!replayed.text.includes(live.key), 'the refusal echoes no token');
    // The replay changes nothing: no second event, audit entry, alert count, message or delivery,
    // and the key is as the first report left it (revoked once, at the same time). The receiver
    // records all it does before it answers, so the answer is the fact to read after.
    assert.deepEqual(await effectsOn(live.id), before);
    assert.equal(await gatewayCode(live.key), 'key_revoked');
  });

  it('refuses a bad signature, an unknown key id or an oversized body, and changes nothing', async () => {
    const key = await newKey(server, { integrator_id: integratorId, name: 'must survive forgeries' });
    const body = matches(key.key);
    for (const forged of [
      await report(body, { by: impostor.privateKey }),
      await report(body, { keyId: 'another-key' }),
      await server.data('/secret-scanning/github', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'github-public-key-identifier': KEY_ID },
        body,
      }),
    ]) {
      assert.equal(forged.status, 401, forged.text);
      assert.equal(forged.json.code, 'report_signature_invalid');
    }
    const oversized = await report(matches(...Array.from({ length: 2000 }, () => key.key)));
    assert.equal(oversized.status, 413);
    assert.equal(oversized.json.code, 'body_too_large');
    const notAnArray = await report(JSON.stringify({ token: key.key }));
    assert.equal(notAnArray.status, 400);
    assert.equal(await gatewayCode(key.key), AUTHENTICATED, 'the key still works');
    const events = await server.admin(
      'GET',
      `/admin/v1/security-events?event=credential_leaked&credential_id=${key.id}`,
    );
    assert.equal(events.json.data.length, 0);
  });

  it('answers only POST (405 with Allow)', async () => {
    const wrong = await server.data('/secret-scanning/github');
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.allow, 'POST');
  });
});
