import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { MemoryReplayCache, verifyWebhook, WebhookVerificationError } from '../src/webhooks/index.ts';
import { newId, newSecret, nowSeconds, signedHeaders } from './webhooks-fixtures.ts';

const body = JSON.stringify({ type: 'order.paid', data: { order_id: 'o-1' } });

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => assert.fail('expected a WebhookVerificationError'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof WebhookVerificationError, String(error));
  return error.reason;
}

test('a genuine v1 delivery verifies and returns the parsed payload', async () => {
  const secret = newSecret();
  const payload = await verifyWebhook(body, signedHeaders([secret], body), secret);
  assert.deepEqual(payload, JSON.parse(body));
});

test('during a rotation either secret verifies, given as a list or space-separated', async () => {
  const [old, fresh] = [newSecret(), newSecret()];
  assert.ok(await verifyWebhook(body, signedHeaders([fresh, old], body), [old]));
  assert.ok(await verifyWebhook(body, signedHeaders([old], body), `${fresh} ${old}`));
  assert.ok(await verifyWebhook(body, signedHeaders([fresh], body), [old, fresh]));
});

test('a tampered body, a wrong secret, another id or a missing signature are refused with their reasons', async () => {
  const secret = newSecret();
  const headers = signedHeaders([secret], body);
  assert.equal(await refusal(verifyWebhook(`${body} `, headers, secret)), 'invalid_signature');
  assert.equal(await refusal(verifyWebhook(body, headers, newSecret())), 'invalid_signature');
  assert.equal(
    await refusal(verifyWebhook(body, { ...headers, 'webhook-id': 'msg_other' }, secret)),
    'invalid_signature',
  );
  const { 'webhook-signature': _, ...unsigned } = headers;
  assert.equal(await refusal(verifyWebhook(body, unsigned, secret)), 'missing_headers');
  assert.equal(
    await refusal(verifyWebhook(body, { ...headers, 'webhook-timestamp': '12abc' }, secret)),
    'malformed_headers',
  );
  assert.equal(
    await refusal(verifyWebhook(body, { ...headers, 'webhook-signature': 'v1,AAAA' }, secret)),
    'invalid_signature',
  );
});

test('timestamps outside the tolerance are refused as too old or in the future', async () => {
  const secret = newSecret();
  const old = signedHeaders([secret], body, { timestamp: nowSeconds() - 301 });
  const future = signedHeaders([secret], body, { timestamp: nowSeconds() + 301 });
  assert.equal(await refusal(verifyWebhook(body, old, secret)), 'timestamp_too_old');
  assert.equal(await refusal(verifyWebhook(body, future, secret)), 'timestamp_in_future');
  assert.ok(await verifyWebhook(body, old, secret, { toleranceSeconds: 600 }));
});

test('a replayed id is refused; another receiver with its own secret is not affected', async () => {
  const secret = newSecret();
  const headers = signedHeaders([secret], body);
  await verifyWebhook(body, headers, secret);
  assert.equal(await refusal(verifyWebhook(body, headers, secret)), 'replayed');
  const other = newSecret();
  assert.ok(
    await verifyWebhook(body, signedHeaders([other], body, { id: headers['webhook-id'] as string }), other),
  );
  assert.ok(await verifyWebhook(body, headers, secret, { replayCache: false }));
});

test('a signed body that is not JSON is refused as malformed_json', async () => {
  const secret = newSecret();
  assert.equal(
    await refusal(verifyWebhook('{"a":', signedHeaders([secret], '{"a":'), secret)),
    'malformed_json',
  );
});

test('Ed25519 v1a signatures verify with the whpk_ public key', async () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const whpk = `whpk_${Buffer.from(publicKey.export({ format: 'jwk' }).x as string, 'base64url').toString('base64')}`;
  const id = newId();
  const timestamp = nowSeconds();
  const signature = sign(null, Buffer.from(`${id}.${timestamp}.${body}`), privateKey).toString('base64');
  const headers = {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': `v1a,${signature}`,
  };
  assert.ok(await verifyWebhook(body, headers, whpk));
  assert.equal(
    await refusal(verifyWebhook(`${body} `, headers, whpk, { replayCache: false })),
    'invalid_signature',
  );
});

test('the simple scheme checks the hex HMAC of the body in the chosen header', async () => {
  const secret = newSecret();
  const key = Buffer.from(secret.slice(6), 'base64');
  const hex = createHmac('sha256', key).update(body).digest('hex');
  const headers = { 'webhook-id': newId(), 'x-acme-signature': `${'0'.repeat(64)}, ${hex}` };
  assert.ok(await verifyWebhook(body, headers, secret, { signatureHeader: 'X-Acme-Signature' }));
  assert.equal(
    await refusal(
      verifyWebhook(`${body} `, { ...headers, 'webhook-id': newId() }, secret, {
        signatureHeader: 'X-Acme-Signature',
      }),
    ),
    'invalid_signature',
  );
});

test('Web Headers objects work as well as node:http header records', async () => {
  const secret = newSecret();
  assert.ok(await verifyWebhook(body, new Headers(signedHeaders([secret], body)), secret));
  const mixedCase = Object.fromEntries(
    Object.entries(signedHeaders([secret], body)).map(([k, v]) => [k.toUpperCase(), v]),
  );
  assert.ok(await verifyWebhook(body, mixedCase, secret));
});

test('messages signed by the official standardwebhooks package verify', async () => {
  const secret = newSecret();
  const id = newId();
  const signature = new Webhook(secret).sign(id, new Date(), body);
  const timestamp = String(nowSeconds());
  const headers = { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature };
  assert.deepEqual(await verifyWebhook(Buffer.from(body), headers, secret), JSON.parse(body));
});

test('a secret that is neither whsec_ nor whpk_ throws a TypeError that does not quote it', async () => {
  const bad = 'sk_live_do_not_print_me';
  await assert.rejects(verifyWebhook(body, {}, bad), (error: Error) => {
    assert.ok(error instanceof TypeError);
    assert.ok(!error.message.includes(bad));
    return true;
  });
});

test('the memory replay cache forgets expired ids and stays within its bound', () => {
  let now = 1000;
  const cache = new MemoryReplayCache({ maxEntries: 3, now: () => now });
  assert.equal(cache.remember('a', 2000), true);
  assert.equal(cache.remember('a', 2000), false);
  now = 2001;
  assert.equal(cache.remember('a', 3000), true);
  for (const id of ['b', 'c', 'd', 'e']) cache.remember(id, 9000);
  assert.ok(cache.size <= 3);
  cache.forget('e');
  assert.equal(cache.remember('e', 9000), true);
});

test('property: every signed body verifies, and flipping any one byte of it is refused', async () => {
  const secret = newSecret();
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.nat(), async (bytes, at) => {
      const text = JSON.stringify({ data: Buffer.from(bytes).toString('base64') });
      const headers = signedHeaders([secret], text);
      assert.ok(await verifyWebhook(text, headers, secret, { replayCache: false }));
      const flipped = Buffer.from(text);
      const index = at % flipped.length;
      flipped[index] = (flipped[index] as number) ^ 0x01;
      assert.equal(
        await refusal(verifyWebhook(flipped, headers, secret, { replayCache: false })),
        'invalid_signature',
      );
    }),
    { numRuns: 200 },
  );
});
