import assert from 'node:assert/strict';
import { isIPv4 } from 'node:net';
import { it } from 'node:test';
import fc from 'fast-check';
import { canonicalHost } from './request-host.ts';

it('spells a host one way: lower case, without the trailing dot, with its port', () => {
  assert.equal(canonicalHost('api.example.com'), 'api.example.com');
  assert.equal(canonicalHost('API.Example.COM'), 'api.example.com');
  assert.equal(canonicalHost('api.example.com.'), 'api.example.com');
  assert.equal(canonicalHost('API.example.com.:8443'), 'api.example.com:8443');
  assert.equal(canonicalHost('localhost:8443'), 'localhost:8443');
  assert.equal(canonicalHost('127.0.0.1:80'), '127.0.0.1:80');
  assert.equal(canonicalHost('[::1]:8443'), '[::1]:8443');
  assert.equal(canonicalHost('[2001:DB8::1]'), '[2001:db8::1]');
  assert.equal(canonicalHost('internal_host'), 'internal_host');
});

it('refuses what is not one host name or IP address', () => {
  for (const host of [
    '',
    '.',
    'api.example.com..',
    '.api.example.com',
    'api..example.com',
    'api.example.com,evil.example',
    'api.example.com evil.example',
    'api%2eexample.com',
    'api.example.com%2e',
    '[api.example.com]',
    '[::1',
    '[::1]x',
    '[fe80::1%25eth0]',
    'user@api.example.com',
    'api.example.com:',
    'api.example.com:65536',
    'api.example.com:8a',
    'api.example.com:80:80',
    '-api.example.com',
    'api-.example.com',
    `${'a'.repeat(64)}.example.com`,
    '127.1',
    '0x7f.0.0.1',
    '127.0.0.01',
    'api.example.com/x',
    'api.example.com\\x',
  ]) {
    assert.equal(canonicalHost(host), null, host);
  }
});

it('maps every spelling of a valid host name to the same canonical host (property)', () => {
  const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/);
  fc.assert(
    fc.property(
      fc.array(label, { minLength: 1, maxLength: 4 }),
      fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }),
      fc.boolean(),
      fc.option(fc.integer({ min: 1, max: 65535 })),
      (labels, upper, trailingDot, port) => {
        const name = labels.join('.');
        const spelled = [...name].map((c, i) => (upper[i % upper.length] ? c.toUpperCase() : c)).join('');
        const host = `${spelled}${trailingDot ? '.' : ''}${port === null ? '' : `:${port}`}`;
        return canonicalHost(host) === `${name}${port === null ? '' : `:${port}`}`;
      },
    ),
  );
});

it('reads an IPv4 address as node:net does, and refuses every other all-digit host (property)', () => {
  const octet = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.stringMatching(/^0[0-9]{1,2}$/));
  fc.assert(
    fc.property(fc.array(octet, { minLength: 1, maxLength: 5 }), (parts) => {
      const host = parts.join('.');
      return (canonicalHost(host) === host) === isIPv4(host);
    }),
  );
});
