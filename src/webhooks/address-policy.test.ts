import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
});
