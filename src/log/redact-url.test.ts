import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { generateCredential } from '../crypto/key-format.ts';
import { redactUrl } from './redact-url.ts';

it('redacts secret-looking query parameters and keeps the others', () => {
  assert.equal(
    redactUrl('/v1/orders?api_key=abc&limit=5&access_token=xyz&client_secret=s&Password=p&page=2'),
    '/v1/orders?api_key=[redacted]&limit=5&access_token=[redacted]&client_secret=[redacted]&Password=[redacted]&page=2',
  );
});

it('redacts a credential wherever it appears in the target', () => {
  const key = generateCredential('gate', 'live');
  const out = redactUrl(`/v1/lookup/${key}?q=${key}&x=1`);
  assert.ok(!out.includes(key));
  assert.equal(out, '/v1/lookup/[redacted]?q=[redacted]&x=1');
});

it('never returns a secret parameter value, whatever its encoding (property)', () => {
  fc.assert(
    fc.property(
      fc.constantFrom('token', 'api_key', 'apiKey', 'secret', 'password', 'sig'),
      fc.stringMatching(/^[A-Za-z0-9]{12,40}$/),
      (name, value) => {
        return !redactUrl(`/path?a=1&${encodeURIComponent(name)}=${value}`).includes(value);
      },
    ),
  );
});
