import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkEndpointUrl, type ResolveAll } from './endpoint-url.ts';

const dns: Record<string, string[]> = {
  'hooks.example.com': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
  'internal.example.com': ['10.1.2.3'],
  'mixed.example.com': ['93.184.216.34', '127.0.0.1'],
  'rebind.example.com': ['169.254.169.254'],
};
const resolve: ResolveAll = async (host) => {
  const found = dns[host];
  if (!found) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return found;
};
const check = (url: string, allowPrivate = false) => checkEndpointUrl(url, { allowPrivate, resolve });

describe('webhook URL rules', () => {
  it('accepts an https URL whose host resolves only to public addresses', async () => {
    const verdict = await check('https://hooks.example.com/webhooks?source=gatehouse');
    assert.equal(verdict.ok, true);
  });

  it('refuses other schemes, credentials in the URL and fragments', async () => {
    for (const url of [
      'http://hooks.example.com/',
      'ftp://hooks.example.com/',
      'https://user:pass@hooks.example.com/',
      'https://hooks.example.com/#x',
      'not a url',
    ]) {
      assert.equal((await check(url)).ok, false, url);
    }
  });

  it('refuses a host that resolves to any private address, even next to a public one', async () => {
    for (const url of [
      'https://internal.example.com/',
      'https://mixed.example.com/',
      'https://rebind.example.com/',
      'https://nowhere.example.com/',
    ]) {
      const verdict = await check(url);
      assert.equal(verdict.ok, false, url);
    }
    const mixed = await check('https://mixed.example.com/');
    assert.ok(!mixed.ok);
    assert.equal(mixed.message, 'names a host that resolves to a loopback address');
    assert.match(mixed.hint ?? '', /set GATEHOUSE_WEBHOOK_ALLOW_PRIVATE=1/);
    const metadata = await check('https://rebind.example.com/');
    assert.ok(!metadata.ok);
    assert.equal(metadata.hint, undefined, 'no setting lets deliveries reach a metadata address');
    const nowhere = await check('https://nowhere.example.com/');
    assert.ok(!nowhere.ok);
    assert.equal(
      nowhere.message,
      'names a host, nowhere.example.com, that does not resolve; use a host name with a DNS record',
    );
  });

  it('judges IP literals without a lookup, including the forms URL parsing normalises', async () => {
    for (const url of [
      'https://127.0.0.1/',
      'https://2130706433/',
      'https://0x7f.1/',
      'https://[::1]/',
      'https://[::ffff:127.0.0.1]/',
      'https://[fd00::1]:8443/',
      'https://169.254.169.254/latest/meta-data',
    ]) {
      assert.equal((await check(url)).ok, false, url);
    }
    assert.equal((await check('https://93.184.216.34/')).ok, true);
  });

  it('the development flag admits private hosts but still refuses http and metadata', async () => {
    assert.equal((await check('https://internal.example.com/', true)).ok, true);
    assert.equal((await check('https://127.0.0.1:9000/', true)).ok, true);
    assert.equal((await check('http://127.0.0.1:9000/', true)).ok, false);
    assert.equal((await check('https://rebind.example.com/', true)).ok, false);
  });
});
