import assert from 'node:assert/strict';
import { createPublicKey, createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { deliveryHeaders } from './delivery-signer.ts';
import {
  formatHmacSecret,
  generateSigningSecret,
  importSigningKey,
  parseHmacSecret,
  parsePublicKey,
} from './signing-secret.ts';
import { signSimple, verifySimpleSignature } from './simple-signature.ts';
import { signV1, signV1a, verifyStandardSignature } from './standard-signature.ts';

const NOW = 1_700_000_000;
const content = fc.record({
  id: fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
  timestamp: fc.integer({ min: NOW - 200, max: NOW + 200 }),
  body: fc.uint8Array({ minLength: 0, maxLength: 512 }),
});
const hmacKey = fc.uint8Array({ minLength: 24, maxLength: 64 }).map((bytes) => createSecretKey(bytes));
const ed25519 = generateKeyPairSync('ed25519');

/** Changes one byte of one of the signed parts: the body, the id or the timestamp. */
const tamper = fc.record({
  part: fc.constantFrom('body', 'id', 'timestamp'),
  index: fc.nat(),
  delta: fc.integer({ min: 1, max: 255 }),
});

function tampered<T extends { id: string; timestamp: number; body: Uint8Array }>(
  original: T,
  change: { part: string; index: number; delta: number },
): T {
  if (change.part === 'timestamp') return { ...original, timestamp: original.timestamp + 1 };
  if (change.part === 'id') return { ...original, id: `${original.id}x` };
  if (original.body.length === 0) return { ...original, body: Uint8Array.of(change.delta) };
  const body = Uint8Array.from(original.body);
  const at = change.index % body.length;
  body[at] = ((body[at] as number) + change.delta) % 256;
  return { ...original, body };
}

describe('Standard Webhooks signatures', () => {
  it('a v1 HMAC signature verifies with its key, and fails once any signed byte changes (property)', () => {
    fc.assert(
      fc.property(hmacKey, content, tamper, (key, message, change) => {
        const header = signV1(key, message);
        assert.match(header, /^v1,[A-Za-z0-9+/]{43}=$/);
        assert.deepEqual(verifyStandardSignature(message, header, { hmacKeys: [key], now: NOW }), {
          ok: true,
        });
        const changed = tampered(message, change);
        return !verifyStandardSignature(changed, header, { hmacKeys: [key], now: NOW }).ok;
      }),
    );
  });

  it('a v1a Ed25519 signature verifies with the public key, and fails once any signed byte changes (property)', () => {
    fc.assert(
      fc.property(content, tamper, (message, change) => {
        const header = signV1a(ed25519.privateKey, message);
        assert.match(header, /^v1a,[A-Za-z0-9+/]{86}==$/);
        const options = { publicKeys: [ed25519.publicKey], now: NOW };
        assert.deepEqual(verifyStandardSignature(message, header, options), { ok: true });
        return !verifyStandardSignature(tampered(message, change), header, options).ok;
      }),
      { numRuns: 50 },
    );
  });

  it('a signature made with another key never verifies (property)', () => {
    fc.assert(
      fc.property(hmacKey, hmacKey, content, (signer, other, message) => {
        fc.pre(!signer.equals(other));
        return !verifyStandardSignature(message, signV1(signer, message), { hmacKeys: [other], now: NOW }).ok;
      }),
    );
  });

  it('a timestamp more than five minutes from now is stale even with a valid signature', () => {
    const key = createSecretKey(randomBytes(32));
    const message = { id: 'msg_1', timestamp: NOW - 301, body: '{}' };
    assert.deepEqual(verifyStandardSignature(message, signV1(key, message), { hmacKeys: [key], now: NOW }), {
      ok: false,
      reason: 'stale_timestamp',
    });
  });

  it('during a rotation both secrets sign, so a receiver holding either one accepts the delivery', () => {
    const [old, fresh] = [createSecretKey(randomBytes(32)), createSecretKey(randomBytes(32))];
    const headers = deliveryHeaders(
      { scheme: 'standard', signatureHeader: null, keys: [fresh, old] },
      'msg_2',
      NOW,
      Buffer.from('{"a":1}'),
    );
    const signature = headers['webhook-signature'] as string;
    assert.equal(signature.split(' ').length, 2);
    const message = { id: 'msg_2', timestamp: NOW, body: '{"a":1}' };
    for (const key of [old, fresh]) {
      assert.ok(verifyStandardSignature(message, signature, { hmacKeys: [key], now: NOW }).ok);
    }
  });
});

describe('the simple scheme', () => {
  it('the hex HMAC of the body verifies, and any changed body byte fails (property)', () => {
    fc.assert(
      fc.property(hmacKey, content, tamper, (key, message, change) => {
        const header = signSimple(key, message.body);
        assert.match(header, /^[0-9a-f]{64}$/);
        assert.ok(verifySimpleSignature(message.body, header, [key]));
        const changed = tampered(message, { ...change, part: 'body' });
        return !verifySimpleSignature(changed.body, header, [key]);
      }),
    );
  });

  it('puts one signature per active secret in the configured header', () => {
    const keys = [createSecretKey(randomBytes(32)), createSecretKey(randomBytes(32))];
    const body = Buffer.from('{"b":2}');
    const headers = deliveryHeaders(
      { scheme: 'simple', signatureHeader: 'X-Acme-Signature', keys },
      'm',
      NOW,
      body,
    );
    assert.equal(headers['webhook-signature'], undefined);
    const value = headers['x-acme-signature'] as string;
    for (const key of keys) assert.ok(verifySimpleSignature(body, value, [key]));
  });
});

describe('signing secrets', () => {
  it('a whsec secret round-trips to the same key, and the formats are what Standard Webhooks names', () => {
    const generated = generateSigningSecret('standard');
    const secret = generated.secret as string;
    assert.ok(secret.startsWith('whsec_'));
    assert.equal(parseHmacSecret(secret)?.length, 32);
    assert.equal(formatHmacSecret(parseHmacSecret(secret) as Buffer), secret);
    assert.equal(parseHmacSecret('whsec_short'), undefined);
    assert.equal(parseHmacSecret(secret.slice(6)), undefined);
  });

  it('an Ed25519 endpoint gets a whpk public key that verifies what its private key signs', () => {
    const generated = generateSigningSecret('ed25519');
    assert.equal(generated.secret, null);
    assert.match(generated.publicKey as string, /^whpk_[A-Za-z0-9+/]{43}=$/);
    const publicKey = parsePublicKey(generated.publicKey as string);
    assert.ok(publicKey);
    const privateKey = importSigningKey('ed25519', Buffer.from(generated.material));
    assert.equal(
      generated.material.every((byte) => byte === 0),
      false,
    );
    const message = { id: 'msg_3', timestamp: NOW, body: 'x' };
    assert.ok(
      verifyStandardSignature(message, signV1a(privateKey, message), { publicKeys: [publicKey], now: NOW })
        .ok,
    );
    assert.deepEqual(
      createPublicKey(privateKey).export({ format: 'jwk' }),
      publicKey.export({ format: 'jwk' }),
    );
  });
});
