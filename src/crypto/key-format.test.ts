import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  credentialHint,
  credentialSearchPattern,
  generateCredential,
  parseCredential,
} from './key-format.ts';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

describe('credential format', () => {
  it('a generated key parses, names its prefix and marker, and carries 43 body characters', () => {
    const key = generateCredential('gate', 'live');
    assert.match(key, /^gate_live_[0-9A-Za-z]{49}$/);
    assert.deepEqual(parseCredential(key), { ok: true, credential: { prefix: 'gate', marker: 'live' } });
  });

  it('two generated keys never repeat', () => {
    const seen = new Set(Array.from({ length: 2000 }, () => generateCredential('gate', 'test')));
    assert.equal(seen.size, 2000);
  });

  it('rejects every single-character change at every position (exhaustive over the key alphabet)', () => {
    for (const marker of ['live', 'test', 'admin']) {
      const key = generateCredential('acme', marker);
      for (let i = 0; i < key.length; i++) {
        for (const c of `${ALPHABET}_-.`) {
          if (c === key[i]) continue;
          const typo = key.slice(0, i) + c + key.slice(i + 1);
          assert.equal(parseCredential(typo).ok, false, `accepted a change at ${i}`);
        }
      }
    }
  });

  it('rejects any single-character substitution, including unicode (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('gate', 'acme', 'x9'),
        fc.constantFrom('live', 'test', 'admin'),
        fc.nat(),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
        (prefix, marker, position, replacement) => {
          const key = generateCredential(prefix, marker);
          const i = position % key.length;
          fc.pre(replacement !== key[i]);
          return !parseCredential(key.slice(0, i) + replacement + key.slice(i + 1)).ok;
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('rejects deleted, inserted and swapped characters (property)', () => {
    fc.assert(
      fc.property(fc.nat(), fc.constantFrom(...ALPHABET), (position, extra) => {
        const key = generateCredential('gate', 'live');
        const i = position % key.length;
        const deleted = key.slice(0, i) + key.slice(i + 1);
        const inserted = key.slice(0, i) + extra + key.slice(i);
        const j = Math.min(i + 1, key.length - 1);
        const swapped = key.slice(0, i) + key[j] + key[i] + key.slice(j + 1);
        return (
          !parseCredential(deleted).ok &&
          !parseCredential(inserted).ok &&
          (swapped === key || !parseCredential(swapped).ok)
        );
      }),
      { numRuns: 3000 },
    );
  });

  it('rejects arbitrary strings (property)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 120 }), (s) => !parseCredential(s).ok));
  });

  it('the hint shows the prefix and four body characters only', () => {
    const key = generateCredential('gate', 'live');
    assert.equal(credentialHint(key), `${key.slice(0, 14)}…`);
  });

  it('the search pattern finds keys in text and nothing in their neighbourhood', () => {
    const key = generateCredential('gate', 'test');
    const text = `config: API_KEY="${key}" other=gate_test_short`;
    assert.deepEqual(text.match(credentialSearchPattern('gate')), [key]);
  });
});
