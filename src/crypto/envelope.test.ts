import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createEnvelope, createKeyring, DecryptionError } from './envelope.ts';

const keyring = (...ids: number[]) => createKeyring(new Map(ids.map((id) => [id, randomBytes(32)])));

describe('envelope encryption', () => {
  const envelope = createEnvelope(keyring(1));

  it('round-trips text and bytes, and never yields the same sealed value twice', () => {
    const a = envelope.seal('whsec-material', 'endpoint:1');
    const b = envelope.seal('whsec-material', 'endpoint:1');
    assert.notEqual(a, b);
    assert.equal(envelope.openText(a, 'endpoint:1'), 'whsec-material');
    assert.equal(envelope.openText(envelope.seal('', 'x'), 'x'), '');
    assert.ok(!a.includes('whsec-material'));
  });

  it('fails when any byte of the sealed value changes: header, wrapped key, nonce, ciphertext or tag (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (plain, pos, flip) => {
          const sealed = Buffer.from(envelope.seal(plain, 'ctx'), 'base64url');
          const i = pos % sealed.length;
          sealed[i] = (sealed[i] as number) ^ flip;
          assert.throws(() => envelope.open(sealed.toString('base64url'), 'ctx'), DecryptionError);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('fails when the value is opened under another context', () => {
    const sealed = envelope.seal('payload', 'message:a');
    assert.throws(() => envelope.open(sealed, 'message:b'), DecryptionError);
  });

  it('fails on truncated or foreign input', () => {
    const sealed = envelope.seal('payload', 'ctx');
    for (const bad of [sealed.slice(0, 20), sealed.slice(0, -1), '', 'not-base64!', 'AAAA']) {
      assert.throws(() => envelope.open(bad, 'ctx'), DecryptionError);
    }
  });

  it('gives every sealed value its own nonces and data key, across refills of the random pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const bytes = Buffer.from(envelope.seal('same', 'ctx'), 'base64url');
      // the wrap nonce, the wrapped data key and the body nonce (after the 3-byte header)
      for (const [start, end] of [
        [3, 15],
        [15, 47],
        [63, 75],
      ] as const)
        seen.add(bytes.subarray(start, end).toString('hex'));
      assert.equal(envelope.openText(bytes.toString('base64url'), 'ctx'), 'same');
    }
    assert.equal(seen.size, 1500);
  });

  it('after a key rotation old values still open and rewrap moves them to the new key', () => {
    const old = keyring(1);
    const sealed = createEnvelope(old).seal('secret', 'ctx');
    const raw = new Map<number, Uint8Array>([...old.keys].map(([id, key]) => [id, key.export()]));
    raw.set(2, randomBytes(32));
    const rotated = createEnvelope(createKeyring(raw));
    assert.equal(rotated.openText(sealed, 'ctx'), 'secret');
    const rewrapped = rotated.rewrap(sealed, 'ctx');
    assert.equal(rotated.keyIdOf(sealed), 1);
    assert.equal(rotated.keyIdOf(rewrapped), 2);
    assert.equal(rotated.openText(rewrapped, 'ctx'), 'secret');
    assert.throws(() => createEnvelope(keyring(1)).open(rewrapped, 'ctx'), DecryptionError);
  });
});
