import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CredentialCache } from './credential-cache.ts';

const known = (id: string) => ({ id });

describe('CredentialCache', () => {
  it('a flood of unknown secrets never evicts a known one', () => {
    const cache = new CredentialCache<{ id: string }>({ maxEntries: 10, maxNegativeEntries: 100 });
    for (let i = 0; i < 10; i++) cache.set(`known-${i}`, known(`k${i}`), 0, cache.generation);
    for (let i = 0; i < 100_000; i++) cache.set(`unknown-${i}`, null, 0, cache.generation);
    for (let i = 0; i < 10; i++) assert.deepEqual(cache.get(`known-${i}`, 1), known(`k${i}`));
    assert.equal(cache.size, 10);
    assert.equal(cache.unknownSize, 100);
    // The newest unknown secrets are the ones held; the oldest were forgotten to make room.
    assert.equal(cache.get('unknown-99999', 1), null);
    assert.equal(cache.get('unknown-0', 1), undefined);
  });

  it('an unknown secret is answered from memory until the negative lifetime passes, then asked again', () => {
    const cache = new CredentialCache<{ id: string }>({ ttlMs: 300_000, negativeTtlMs: 1_000 });
    cache.set('unknown', null, 10_000, cache.generation);
    assert.equal(cache.get('unknown', 10_999), null);
    assert.equal(cache.get('unknown', 11_000), undefined);
    assert.equal(cache.unknownSize, 0);
  });

  it('a known secret lives for its own, longer lifetime', () => {
    const cache = new CredentialCache<{ id: string }>({ ttlMs: 300_000, negativeTtlMs: 1_000 });
    cache.set('known', known('k'), 0, cache.generation);
    assert.deepEqual(cache.get('known', 299_999), known('k'));
    assert.equal(cache.get('known', 300_000), undefined);
  });

  it('a clear drops known and unknown secrets, and a load begun before it is not stored', () => {
    const cache = new CredentialCache<{ id: string }>();
    cache.set('known', known('k'), 0, cache.generation);
    cache.set('unknown', null, 0, cache.generation);
    const before = cache.generation;
    cache.clear();
    assert.equal(cache.get('known', 1), undefined);
    assert.equal(cache.get('unknown', 1), undefined);
    cache.set('slow', known('s'), 0, before);
    assert.equal(cache.get('slow', 1), undefined);
  });

  it('a lifetime of zero caches nothing of that kind', () => {
    const cache = new CredentialCache<{ id: string }>({ ttlMs: 0, negativeTtlMs: 0 });
    cache.set('known', known('k'), 0, cache.generation);
    cache.set('unknown', null, 0, cache.generation);
    assert.equal(cache.size + cache.unknownSize, 0);
  });
});
