import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { createIpAllowlist, parseCidr } from './ip-allowlist.ts';

it('matches IPv4 and IPv6 ranges and single addresses', () => {
  const list = createIpAllowlist(['10.0.0.0/8', '203.0.113.7', '2001:db8::/32', '::1']);
  assert.equal(list.allows('10.20.30.40'), true);
  assert.equal(list.allows('11.0.0.1'), false);
  assert.equal(list.allows('203.0.113.7'), true);
  assert.equal(list.allows('203.0.113.8'), false);
  assert.equal(list.allows('2001:db8:1::5'), true);
  assert.equal(list.allows('2001:db9::1'), false);
  assert.equal(list.allows('::1'), true);
  assert.equal(list.allows('::ffff:10.1.1.1'), true, 'IPv4-mapped IPv6 matches as IPv4');
  assert.equal(list.allows('not-an-ip'), false);
});

it('an empty allowlist allows every address', () => {
  assert.equal(createIpAllowlist([]).allows('192.0.2.1'), true);
});

it('rejects malformed ranges', () => {
  for (const bad of [
    '10.0.0.0/33',
    '10.0.0/8',
    '::1/129',
    'localhost',
    '10.0.0.1/',
    '10.0.0.1/-1',
    '1.2.3.4/08a',
    '',
  ]) {
    assert.equal(parseCidr(bad), undefined, bad);
  }
});

it('every address inside a /24 matches and the neighbours do not (property)', () => {
  fc.assert(
    fc.property(fc.ipV4(), (ip) => {
      const [a, b, c] = ip.split('.');
      const list = createIpAllowlist([`${a}.${b}.${c}.0/24`]);
      return list.allows(ip) && !list.allows(`${a}.${b}.${(Number(c) + 1) % 256}.1`);
    }),
  );
});
