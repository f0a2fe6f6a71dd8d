import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import fc from 'fast-check';
import { generateCredential } from '../crypto/key-format.ts';
import { credentialKindOf } from './credential-kind.ts';

it('tells every kind of Gatehouse credential by its shape', () => {
  assert.deepEqual(credentialKindOf(generateCredential('gate', 'live')), {
    kind: 'api_key',
    environment: 'production',
    prefix: 'gate',
  });
  assert.deepEqual(credentialKindOf(generateCredential('acme', 'test')), {
    kind: 'api_key',
    environment: 'sandbox',
    prefix: 'acme',
  });
  assert.deepEqual(credentialKindOf(generateCredential('gate', 'cstest')), {
    kind: 'oauth_client_secret',
    environment: 'sandbox',
    prefix: 'gate',
  });
  assert.deepEqual(credentialKindOf(generateCredential('gate', 'admin')), {
    kind: 'admin_token',
    prefix: 'gate',
  });
  assert.equal(credentialKindOf(`whsec_${randomBytes(32).toString('base64')}`).kind, 'webhook_secret');
  const jwt = `eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.${randomBytes(64).toString('base64url')}`;
  assert.equal(credentialKindOf(jwt).kind, 'access_token');
  assert.equal(credentialKindOf(generateCredential('gate', 'other')).kind, 'unknown');
  assert.equal(credentialKindOf('not a credential').kind, 'unknown');
});

it('any single changed character of a credential makes it malformed, not another kind (property)', () => {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  fc.assert(
    fc.property(
      fc.constantFrom('live', 'test', 'cslive', 'cstest', 'admin'),
      fc.nat(),
      fc.nat(),
      (marker, position, replacement) => {
        const credential = generateCredential('gate', marker);
        const bodyStart = credential.lastIndexOf('_') + 1;
        const at = bodyStart + (position % (credential.length - bodyStart));
        const character = alphabet[replacement % alphabet.length] as string;
        if (credential[at] === character) return true;
        const changed = `${credential.slice(0, at)}${character}${credential.slice(at + 1)}`;
        return credentialKindOf(changed).kind === 'malformed';
      },
    ),
  );
});
