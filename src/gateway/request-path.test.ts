import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { isUnreserved, normalizeRequestTarget, requestPathLength } from './request-path.ts';

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
    '/v1/%2573ecret',
    '/v1/a%0a',
    '/v1/a%09b',
    '/v1/a%1F',
    '/v1/a%7f',
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

const normalized = (target: string) => {
  const end = requestPathLength(target);
  assert.notEqual(end, -1, target);
  return normalizeRequestTarget(target, end);
};

it('decodes escaped unreserved characters and writes the other escapes in upper case (RFC 3986 §6.2.2)', () => {
  assert.equal(normalized('/v1/items/%73ecret'), '/v1/items/secret');
  assert.equal(normalized('/v1/%7e%5F%2D%41%7A%30'), '/v1/~_-Az0');
  assert.equal(normalized('/v1/a%3bx%40b%c3%a9'), '/v1/a%3Bx%40b%C3%A9');
  assert.equal(normalized('/v1/%73?q=%73&r=%2e'), '/v1/s?q=%73&r=%2e', 'the query is forwarded as sent');
});

it('returns the very same string when the path holds no escape', () => {
  const target = `/v1/orders/${'x'.repeat(20)}?q=%73`;
  assert.equal(normalizeRequestTarget(target, target.indexOf('?')), target);
});

it('normalises to what decoding the unreserved escapes gives, and normalising twice changes nothing (property)', () => {
  const character = fc.integer({ min: 0x21, max: 0x7e }).map((code) => String.fromCharCode(code));
  fc.assert(
    fc.property(fc.array(fc.tuple(character, fc.nat(2)), { minLength: 1, maxLength: 30 }), (parts) => {
      const target = `/${parts
        .map(([c, how]) => {
          const hex = c.charCodeAt(0).toString(16);
          return how === 0 ? c : how === 1 ? `%${hex}` : `%${hex.toUpperCase()}`;
        })
        .join('')}`;
      const end = requestPathLength(target);
      if (end !== target.length) return true; // refused, or a query: covered elsewhere
      const once = normalizeRequestTarget(target, end);
      assert.equal(normalizeRequestTarget(once, once.length), once);
      assert.equal(
        once.replace(/%[0-9A-F]{2}/g, (e) => {
          assert.ok(!isUnreserved(Number.parseInt(e.slice(1), 16)), `${e} left encoded`);
          return decodeURIComponent(e);
        }),
        decodeURIComponent(target),
      );
      return true;
    }),
  );
});
