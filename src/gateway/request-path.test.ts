import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { requestPathLength } from './request-path.ts';

it('accepts ordinary paths and returns where the query starts', () => {
  assert.equal(requestPathLength('/v1/orders'), 10);
  assert.equal(requestPathLength('/v1/orders?limit=5&cursor=a%2Fb'), 10);
  assert.equal(requestPathLength('/'), 1);
  assert.equal(requestPathLength('/v1/users/jane%40example.com'), 28);
});

it('refuses paths an upstream could normalise into another route', () => {
  for (const target of [
    '/v1/public/../admin',
    '/v1/public/./x',
    '/v1/..',
    '/v1//orders',
    '/v1/%2e%2e/admin',
    '/v1/%2E/x',
    '/v1/a%2fb',
    '/v1/a%5Cb',
    '/v1\\admin',
    '/v1/a%00',
    'http://evil.example/v1/orders',
    '*',
    '',
    '/a b',
    '/bad%zz',
  ]) {
    assert.equal(requestPathLength(target), -1, target);
  }
});

it('never accepts a path containing a dot segment, however it is spelled (property)', () => {
  const dots = fc.constantFrom('..', '.', '%2e%2e', '%2E.', '.%2e', '%2e');
  const segment = fc.stringMatching(/^[a-z0-9_-]{1,8}$/);
  fc.assert(
    fc.property(
      fc.array(segment, { maxLength: 3 }),
      dots,
      fc.array(segment, { maxLength: 3 }),
      (before, dot, after) => {
        const path = `/${[...before, dot, ...after].join('/')}`;
        return requestPathLength(path) === -1;
      },
    ),
  );
});

it('returns the path length for any query (property)', () => {
  fc.assert(
    fc.property(fc.stringMatching(/^(\/[a-z0-9]{1,5}){1,4}$/), fc.string(), (path, query) => {
      return requestPathLength(`${path}?${query}`) === path.length;
    }),
  );
});
