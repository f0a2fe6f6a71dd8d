import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { addressAllowed, classifyAddress } from './address-policy.ts';

describe('SSRF address rules', () => {
  it('refuses private, loopback, link-local, unique-local, CGNAT, multicast, unspecified and metadata addresses', () => {
    const refused: Record<string, string> = {
      '127.0.0.1': 'loopback',
      '127.8.9.10': 'loopback',
      '10.0.0.1': 'private',
      '172.16.5.4': 'private',
      '192.168.1.1': 'private',
      '169.254.1.1': 'link_local',
      '169.254.169.254': 'metadata',
      '100.100.100.200': 'metadata',
      '100.64.0.1': 'shared',
      '0.0.0.0': 'unspecified',
      '224.0.0.251': 'multicast',
      '255.255.255.255': 'reserved',
      '::1': 'loopback',
      '::': 'unspecified',
      'fd00::1': 'unique_local',
      'fc00::1': 'unique_local',
      'fe80::1': 'link_local',
      'fd00:ec2::254': 'metadata',
      'ff02::1': 'multicast',
    };
    for (const [address, kind] of Object.entries(refused)) {
      assert.equal(classifyAddress(address), kind, address);
      assert.equal(addressAllowed(address, false), false, address);
    }
  });

  it('sees through IPv6 forms that carry an IPv4 address', () => {
    for (const address of [
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:10.1.2.3',
      '64:ff9b::a9fe:a9fe',
      '2002:a00:1::1',
    ]) {
      assert.equal(addressAllowed(address, false), false, address);
    }
    assert.equal(classifyAddress('::ffff:169.254.169.254'), 'metadata');
    assert.equal(addressAllowed('::ffff:8.8.8.8', false), true);
  });

  it('allows public addresses', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e']) {
      assert.equal(addressAllowed(address, false), true, address);
    }
  });

  it('the development flag opens private networks but never metadata, multicast or unspecified addresses', () => {
    for (const address of ['127.0.0.1', '10.0.0.1', '::1', 'fd00::1', '192.168.1.1']) {
      assert.equal(addressAllowed(address, true), true, address);
    }
    for (const address of ['169.254.169.254', 'fd00:ec2::254', '0.0.0.0', '224.0.0.1', '::']) {
      assert.equal(addressAllowed(address, true), false, address);
    }
  });

  it('sees through IPv4-translated, IPv4-compatible, local-use NAT64 and Teredo forms too', () => {
    const refused: Record<string, string> = {
      '::ffff:0:7f00:1': 'loopback',
      '::ffff:0:127.0.0.1': 'loopback',
      '::ffff:0:a9fe:a9fe': 'metadata',
      '::ffff:0:808:808': 'reserved',
      '::127.0.0.1': 'loopback',
      '::8.8.8.8': 'reserved',
      '64:ff9b::7f00:1': 'loopback',
      '64:ff9b::a00:1': 'private',
      '64:ff9b:1::a9fe:a9fe': 'metadata',
      '64:ff9b:1:a9fe:a9:fe00::': 'metadata',
      '64:ff9b:1::808:808': 'reserved',
      '2002:7f00:1::': 'loopback',
      '2002:a9fe:a9fe::1': 'metadata',
      '2001:0:a9fe:a9fe::1': 'metadata',
      '2001:0:4136:e378:8000:63bf:3fff:fdd2': 'reserved',
    };
    for (const [address, kind] of Object.entries(refused)) {
      assert.equal(classifyAddress(address), kind, address);
      assert.equal(addressAllowed(address, false), false, address);
    }
    assert.equal(addressAllowed('64:ff9b::808:808', false), true);
    assert.equal(addressAllowed('2002:808:808::1', false), true);
    assert.equal(addressAllowed('64:ff9b:1::a9fe:a9fe', true), false, 'never metadata, even in development');
    assert.equal(addressAllowed('::ffff:0:a9fe:a9fe', true), false, 'never metadata, even in development');
  });

  it('refuses discard-only, documentation, benchmarking, segment-routing, site-local and unallocated IPv6', () => {
    for (const address of [
      '100::1',
      '2001:db8::1',
      '3fff::1',
      '2001:2::1',
      '2001:20::1',
      '5f00::1',
      'fec0::1',
      '4000::1',
      '1::1',
    ]) {
      assert.equal(classifyAddress(address), 'reserved', address);
    }
  });

  it('agrees with the IANA special-purpose registries as ipaddr.js lists them (IPv4)', () => {
    fc.assert(
      fc.property(ipv4Near(), (address) => {
        const special = ipaddr.parse(address).range() !== 'unicast';
        assert.equal(classifyAddress(address) !== 'public', special, address);
      }),
      { numRuns: 5000 },
    );
  });

  it('agrees with the IANA special-purpose registries as ipaddr.js lists them (IPv6, with IPv4 inside)', () => {
    fc.assert(
      fc.property(ipv6Near(), (address) => {
        assert.equal(classifyAddress(address) === 'public', publicPerIpaddr(address), address);
      }),
      { numRuns: 5000 },
    );
  });
});

type Range = [string, number];
// biome-ignore lint/suspicious/noExplicitAny: ipaddr.js does not type its range tables
const rangesOf = (family: any): Range[] =>
  Object.values(family.prototype.SpecialRanges as Record<string, unknown>).flatMap((entry) => {
    const list = (Array.isArray((entry as unknown[])[0]) ? entry : [entry]) as [
      ipaddr.IPv4 | ipaddr.IPv6,
      number,
    ][];
    return list.map(([network, bits]): Range => [network.toString(), bits]);
  });
const V4_RANGES = rangesOf(ipaddr.IPv4);
const V6_RANGES: Range[] = [...rangesOf(ipaddr.IPv6), ['2000::', 3], ['64:ff9b:1::', 48], ['::', 96]];

/** Uniform IPv4 addresses, and addresses in or just beside each special range. */
function ipv4Near(): fc.Arbitrary<string> {
  const near = fc
    .tuple(
      fc.constantFrom(...V4_RANGES),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: -2, max: 1 }),
    )
    .map(([[network, bits], random, widen]) => {
      const prefix = Math.max(0, Math.min(32, bits + widen));
      const base = ipaddr.IPv4.parse(network)
        .toByteArray()
        .reduce((n, b) => n * 256 + b, 0);
      const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
      const value = ((base & mask) | (random & ~mask)) >>> 0;
      return [24, 16, 8, 0].map((shift) => (value >>> shift) & 0xff).join('.');
    });
  return fc.oneof(fc.ipV4(), near);
}

/** Uniform IPv6 addresses, and addresses in each special range with a special IPv4 address at its end. */
function ipv6Near(): fc.Arbitrary<string> {
  const word = fc.integer({ min: 0, max: 0xffff });
  const near = fc
    .tuple(
      fc.constantFrom(...V6_RANGES),
      fc.array(word, { minLength: 8, maxLength: 8 }),
      ipv4Near(),
      fc.boolean(),
    )
    .map(([[network, bits], random, v4, embed]) => {
      const base = ipaddr.IPv6.parse(network).parts;
      const words = base.map((w, i) => {
        const keep = Math.max(0, Math.min(16, bits - i * 16));
        const mask = keep === 0 ? 0 : (0xffff << (16 - keep)) & 0xffff;
        return (w & mask) | ((random[i] as number) & ~mask & 0xffff);
      });
      if (embed) {
        const [a, b, c, d] = ipaddr.IPv4.parse(v4).octets as [number, number, number, number];
        if (words[0] === 0x2002) [words[1], words[2]] = [(a << 8) | b, (c << 8) | d];
        else [words[6], words[7]] = [(a << 8) | b, (c << 8) | d];
      }
      return new ipaddr.IPv6(words).toString();
    });
  return fc.oneof(fc.ipV6(), near);
}

/** Public by ipaddr.js: global unicast, or a routed form carrying a public IPv4 address. */
function publicPerIpaddr(address: string): boolean {
  // ipaddr.js reads every dotted tail as IPv4-mapped (`::1.0.0.0` too): give it the hex spelling
  const parsed = ipaddr.IPv6.parse(new URL(`http://[${address}]/`).hostname.slice(1, -1));
  const w = parsed.parts as [number, number, number, number, number, number, number, number];
  const v4 = (high: number, low: number) =>
    new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]).range() === 'unicast';
  const range = parsed.range();
  if (range === 'ipv4Mapped') return v4(w[6], w[7]);
  if (range === '6to4') return v4(w[1], w[2]);
  if (range === 'rfc6052' && w[2] === 0) return v4(w[6], w[7]);
  return range === 'unicast' && w[0] >> 13 === 1;
}
