import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { clientNetworkOf } from './client-network.ts';

it('an IPv4 client is its own address, also when seen through an IPv6 socket', () => {
  assert.equal(clientNetworkOf('203.0.113.7'), '203.0.113.7');
  assert.equal(clientNetworkOf('::ffff:203.0.113.7'), '203.0.113.7');
});

it('an IPv6 client counts as its /64, however the address is spelled', () => {
  const expected = '2001:db8:0:12::/64';
  for (const spelling of ['2001:db8:0:12::1', '2001:DB8:0000:0012:abcd::9', '2001:db8::12:0:0:0:1']) {
    assert.equal(clientNetworkOf(spelling), expected, spelling);
  }
  assert.equal(clientNetworkOf('::1'), '0:0:0:0::/64');
  assert.notEqual(clientNetworkOf('2001:db8:0:12::1'), clientNetworkOf('2001:db8:0:13::1'));
});

it('every address of one /64 is the same client (property)', () => {
  const group = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16));
  fc.assert(
    fc.property(
      fc.array(group, { minLength: 8, maxLength: 8 }),
      fc.array(group, { minLength: 4, maxLength: 4 }),
      (a, b) => {
        const other = [...a.slice(0, 4), ...b];
        return clientNetworkOf(a.join(':')) === clientNetworkOf(other.join(':'));
      },
    ),
  );
});
