import assert from 'node:assert/strict';
import { it } from 'node:test';
import { inspect } from 'node:util';
import { safeEqual } from './constant-time.ts';
import { Secret } from './secret.ts';

it('a Secret never prints its value through String, JSON, template literals or inspect', () => {
  const secret = new Secret('hunter2-very-secret');
  const printed = [
    String(secret),
    `${secret}`,
    JSON.stringify({ secret }),
    inspect(secret),
    inspect({ nested: secret }),
  ];
  for (const text of printed) assert.ok(!text.includes('hunter2'), text);
  assert.equal(secret.reveal(), 'hunter2-very-secret');
});

it('safeEqual compares values of any length', () => {
  assert.equal(safeEqual('abc', 'abc'), true);
  assert.equal(safeEqual('abc', 'abd'), false);
  assert.equal(safeEqual('abc', 'abcd'), false);
  assert.equal(safeEqual('', ''), true);
});
