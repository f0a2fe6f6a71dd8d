import assert from 'node:assert/strict';
import { it } from 'node:test';
import { KnownAddresses } from './known-addresses.ts';

const T0 = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;

it('knows a credential only when every address of the batch was confirmed lately', () => {
  const known = new KnownAddresses();
  assert.equal(known.firstUseIfKnown('k1', ['192.0.2.1'], T0), undefined);
  known.confirm('k1', T0, [['192.0.2.1', T0]]);
  known.confirm('k1', T0 + 5, [['192.0.2.2', T0 + 5]]);
  assert.equal(known.firstUseIfKnown('k1', ['192.0.2.1', '192.0.2.2'], T0 + MINUTE), T0);
  assert.equal(known.firstUseIfKnown('k1', ['192.0.2.1', '192.0.2.3'], T0 + MINUTE), undefined);
  // Long unused: retention may have purged it, so the store asks the database again.
  assert.equal(known.firstUseIfKnown('k1', ['192.0.2.1'], T0 + 11 * MINUTE), undefined);
  known.confirm('k1', T0 - 1, [['192.0.2.1', T0 + 11 * MINUTE]]);
  assert.equal(known.firstUseIfKnown('k1', ['192.0.2.1'], T0 + 12 * MINUTE), T0 - 1);
});

it('holds at most its capacity of credentials and a bounded number of addresses each', () => {
  const known = new KnownAddresses(2);
  known.confirm('a', T0, [['192.0.2.1', T0]]);
  known.confirm('b', T0, [['192.0.2.1', T0]]);
  known.confirm('a', T0, [['192.0.2.1', T0]]);
  known.confirm('c', T0, [['192.0.2.1', T0]]);
  assert.equal(known.size, 2);
  assert.equal(
    known.firstUseIfKnown('b', ['192.0.2.1'], T0),
    undefined,
    'the least recently confirmed goes first',
  );
  assert.equal(known.firstUseIfKnown('a', ['192.0.2.1'], T0), T0);
  const many = Array.from({ length: 40 }, (_, i) => [`198.51.100.${i}`, T0] as const);
  known.confirm('a', T0, many);
  assert.equal(known.firstUseIfKnown('a', ['192.0.2.1', '198.51.100.0', '198.51.100.14'], T0), T0);
  assert.equal(known.firstUseIfKnown('a', ['198.51.100.15'], T0), undefined, '16 addresses per credential');
});
