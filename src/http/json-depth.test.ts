import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { exceedsJsonDepth } from './json-depth.ts';

const depthOf = (value: unknown): number =>
  value !== null && typeof value === 'object' ? 1 + Math.max(0, ...Object.values(value).map(depthOf)) : 0;

it('measures the same depth as the parsed document, whatever the strings contain (property)', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 10 }), (value, limit) => {
      return exceedsJsonDepth(JSON.stringify(value), limit) === depthOf(value) > limit;
    }),
    { numRuns: 2000 },
  );
});

it('ignores brackets and escaped quotes inside strings', () => {
  assert.equal(exceedsJsonDepth('{"a":"[[[[\\"{{{{"}', 1), false);
  assert.equal(exceedsJsonDepth('[[[]]]', 2), true);
});
