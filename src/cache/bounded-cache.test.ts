import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BoundedCache } from './bounded-cache.ts';

describe('bounded cache', () => {
  it('remembers what was set and forgets what was deleted', () => {
    const cache = new BoundedCache<string, number>(3);
    assert.equal(cache.set('a', 1), 1);
    assert.equal(cache.get('a'), 1);
    cache.delete('a');
    assert.equal(cache.get('a'), undefined);
    assert.equal(cache.size, 0);
  });

  it('when full, forgets the least recently used entry, not the oldest one set', () => {
    const cache = new BoundedCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.get('a');
    cache.set('c', 3);
    assert.equal(cache.get('b'), undefined);
    assert.equal(cache.get('a'), 1);
    assert.equal(cache.get('c'), 3);
  });

  it('setting a key again replaces its value without forgetting another entry', () => {
    const cache = new BoundedCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 10);
    assert.equal(cache.size, 2);
    assert.equal(cache.get('a'), 10);
    assert.equal(cache.get('b'), 2);
  });

  it('tells its owner what it forgets to make room or replaces, so the owner can free it', () => {
    const forgotten: [string, number][] = [];
    const cache = new BoundedCache<string, number>(2, {
      onEvict: (key, value) => forgotten.push([key, value]),
    });
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('b', 2);
    cache.set('c', 3);
    cache.set('b', 20);
    cache.delete('c');
    assert.deepEqual(forgotten, [
      ['a', 1],
      ['b', 2],
    ]);
  });

  it('refuses a size that could hold nothing', () => {
    assert.throws(() => new BoundedCache(0), RangeError);
    assert.throws(() => new BoundedCache(1.5), RangeError);
  });

  it('never holds more than its size and always agrees with a model LRU list', () => {
    const operation = fc.oneof(
      fc.record({
        op: fc.constant('set' as const),
        key: fc.integer({ min: 0, max: 9 }),
        value: fc.integer(),
      }),
      fc.record({ op: fc.constant('get' as const), key: fc.integer({ min: 0, max: 9 }) }),
      fc.record({ op: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 9 }) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.array(operation, { maxLength: 60 }),
        (size, operations) => {
          const cache = new BoundedCache<number, number>(size);
          // The model: most recently used last.
          let model: [number, number][] = [];
          for (const step of operations) {
            const found = model.find(([key]) => key === step.key);
            if (step.op === 'get') {
              assert.equal(cache.get(step.key), found?.[1]);
              if (found) model = [...model.filter(([key]) => key !== step.key), found];
            } else if (step.op === 'delete') {
              cache.delete(step.key);
              model = model.filter(([key]) => key !== step.key);
            } else {
              cache.set(step.key, step.value);
              model = [...model.filter(([key]) => key !== step.key), [step.key, step.value]];
              if (model.length > size) model.shift();
            }
            assert.ok(cache.size <= size);
            assert.equal(cache.size, model.length);
          }
        },
      ),
    );
  });
});
