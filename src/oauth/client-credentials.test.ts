import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { it } from 'node:test';
import fc from 'fast-check';
import { presentedClient } from './client-credentials.ts';
import { OAuthError } from './oauth-http.ts';

const request = (authorization?: string) =>
  ({ headers: authorization === undefined ? {} : { authorization } }) as IncomingMessage;
const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

it('decodes client_secret_basic for any client id and secret, including ":" and unicode (property)', () => {
  fc.assert(
    fc.property(
      fc.string({ minLength: 1, maxLength: 60 }),
      fc.string({ minLength: 1, maxLength: 80 }),
      (id, secret) => {
        const presented = presentedClient(request(basic(id, secret)), new Map());
        return (
          presented.clientId === id &&
          presented.secret === secret &&
          presented.method === 'client_secret_basic'
        );
      },
    ),
  );
});

it('reads client_secret_post from the form', () => {
  const presented = presentedClient(
    request(),
    new Map([
      ['client_id', 'abc'],
      ['client_secret', 's3cret'],
    ]),
  );
  assert.deepEqual(presented, { clientId: 'abc', secret: 's3cret', method: 'client_secret_post' });
});

it('refuses two authentication methods at once, a non-Basic header, and no credentials', () => {
  const cases: [IncomingMessage, Map<string, string>, string][] = [
    [request(basic('a', 'b')), new Map([['client_secret', 'c']]), 'invalid_request'],
    [request('Bearer abc'), new Map(), 'invalid_client'],
    [request('Basic !!!'), new Map(), 'invalid_client'],
    [request(`Basic ${Buffer.from('no-colon').toString('base64')}`), new Map(), 'invalid_client'],
    [request(basic('a', 'b')), new Map([['client_id', 'other']]), 'invalid_client'],
    [request(), new Map([['client_id', 'a']]), 'invalid_client'],
  ];
  for (const [req, form, error] of cases) {
    assert.throws(
      () => presentedClient(req, form),
      (thrown: OAuthError) => thrown instanceof OAuthError && thrown.error === error,
    );
  }
});

it('never throws anything but an OAuthError, whatever the Authorization header holds (property)', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (header) => {
      try {
        presentedClient(request(`Basic ${header}`), new Map());
        return true;
      } catch (error) {
        return error instanceof OAuthError;
      }
    }),
  );
});
