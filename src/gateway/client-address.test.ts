import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { createClientAddressResolver } from './client-address.ts';

const behindProxies = createClientAddressResolver(['10.0.0.0/8', '::1']);

it('without trusted proxies the peer is the client and forwarding headers are ignored', () => {
  const direct = createClientAddressResolver([]);
  assert.equal(direct.trusts('10.0.0.1'), false);
  assert.equal(direct.clientIp('203.0.113.9', '198.51.100.1'), '203.0.113.9');
  assert.equal(direct.clientIp('::ffff:203.0.113.9', undefined), '203.0.113.9');
});

it('believes X-Forwarded-For only through trusted hops, from the right', () => {
  assert.equal(behindProxies.clientIp('10.0.0.2', '198.51.100.7'), '198.51.100.7');
  assert.equal(behindProxies.clientIp('10.0.0.2', '6.6.6.6, 198.51.100.7, 10.0.0.9'), '198.51.100.7');
  assert.equal(behindProxies.clientIp('::1', '[2001:db8::5]:4711'), '2001:db8::5');
  assert.equal(behindProxies.clientIp('10.0.0.2', '198.51.100.7:1234'), '198.51.100.7');
});

it('ignores X-Forwarded-For from a peer that is not a trusted proxy', () => {
  assert.equal(behindProxies.trusts('203.0.113.9'), false);
  assert.equal(behindProxies.clientIp('203.0.113.9', '198.51.100.7'), '203.0.113.9');
});

it('stops at a hop that is not an address and uses the proxy that wrote it', () => {
  assert.equal(behindProxies.clientIp('10.0.0.2', '198.51.100.7, garbage'), '10.0.0.2');
  assert.equal(behindProxies.clientIp('10.0.0.2', '10.0.0.3, 10.0.0.4'), '10.0.0.3');
});

it('never returns an address a client wrote to the left of an untrusted hop (property)', () => {
  const untrusted = fc
    .tuple(fc.integer({ min: 11, max: 223 }), fc.nat(255), fc.nat(255), fc.nat(255))
    .map((p) => p.join('.'));
  const trusted = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => `10.${p.join('.')}`);
  fc.assert(
    fc.property(
      fc.array(untrusted, { maxLength: 4 }),
      untrusted,
      fc.array(trusted, { maxLength: 3 }),
      (spoofed, real, hops) => {
        const header = [...spoofed, real, ...hops].join(', ');
        return behindProxies.clientIp('10.1.1.1', header) === real;
      },
    ),
  );
});
