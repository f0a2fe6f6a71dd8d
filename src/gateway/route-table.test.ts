import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { pathPatternProblem, type RouteRule, RouteTable } from './route-table.ts';

const rule = (
  methods: string[] | null,
  path: string,
  scopes: string[] = [],
  maxBodyBytes: number | null = null,
) => ({ methods, path, scopes, maxBodyBytes, bodySchema: null }) satisfies RouteRule;

describe('route table', () => {
  const table = new RouteTable(
    [
      rule(['GET'], '/v1/orders', ['orders:read']),
      rule(['POST'], '/v1/orders', ['orders:write'], 2048),
      rule(['GET', 'HEAD'], '/v1/orders/{id}', ['orders:read']),
      rule(['GET'], '/v1/orders/export', ['orders:export']),
      rule(null, '/v1/files/**', ['files']),
      rule(['GET'], '/', []),
    ],
    1024,
  );

  it('maps method and path to the scopes the route requires', () => {
    assert.deepEqual(table.match('GET', '/v1/orders')?.scopes, ['orders:read']);
    assert.deepEqual(table.match('POST', '/v1/orders')?.scopes, ['orders:write']);
    assert.equal(table.match('HEAD', '/v1/orders/42')?.pattern, '/v1/orders/{id}');
    assert.equal(table.match('GET', '/')?.pattern, '/');
  });

  it('denies what is not declared: other methods, other paths, extra or missing segments', () => {
    assert.equal(table.match('DELETE', '/v1/orders'), null);
    assert.equal(table.match('GET', '/v1/order'), null);
    assert.equal(table.match('GET', '/v1/orders/42/items'), null);
    assert.equal(table.match('GET', '/v1'), null);
    assert.equal(table.match('GET', '/v1/orders/'), null, 'a trailing slash is another path');
    assert.equal(table.match('POST', '/'), null);
  });

  it('prefers a literal segment over {name} whatever the declaration order', () => {
    assert.equal(table.match('GET', '/v1/orders/export')?.pattern, '/v1/orders/export');
    const reversed = new RouteTable(
      [rule(['GET'], '/a/{id}', ['x']), rule(['GET'], '/a/b', ['y'])].reverse(),
      1,
    );
    assert.equal(reversed.match('GET', '/a/b')?.pattern, '/a/b');
    assert.equal(reversed.match('GET', '/a/c')?.pattern, '/a/{id}');
  });

  it('falls back from a literal that leads nowhere to {name}', () => {
    const t = new RouteTable([rule(['GET'], '/a/b/c'), rule(['GET'], '/a/{x}/d')], 1);
    assert.equal(t.match('GET', '/a/b/d')?.pattern, '/a/{x}/d');
  });

  it('lets ** cover the rest of the path, including nothing, for any method when none is given', () => {
    assert.equal(table.match('PUT', '/v1/files')?.pattern, '/v1/files/**');
    assert.equal(table.match('GET', '/v1/files/a/b/c.txt')?.pattern, '/v1/files/**');
    assert.equal(table.match('GET', '/v1/files/')?.pattern, '/v1/files/**');
  });

  it('ignores the query string when given where the path ends', () => {
    const target = '/v1/orders/7?expand=items&x=/v1/files';
    assert.equal(table.match('GET', target, target.indexOf('?'))?.pattern, '/v1/orders/{id}');
  });

  it('applies the route body limit or the default', () => {
    assert.equal(table.match('POST', '/v1/orders')?.maxBodyBytes, 2048);
    assert.equal(table.match('GET', '/v1/orders')?.maxBodyBytes, 1024);
  });

  it('refuses a route declared twice', () => {
    assert.throws(
      () => new RouteTable([rule(['GET'], '/a/{x}'), rule(['GET'], '/a/{y}')], 1),
      /declared twice/,
    );
  });

  it('explains unusable patterns', () => {
    assert.match(pathPatternProblem('v1') ?? '', /start with/);
    assert.match(pathPatternProblem('/v1/') ?? '', /end with/);
    assert.match(pathPatternProblem('/a//b') ?? '', /empty/);
    assert.match(pathPatternProblem('/a/**/b') ?? '', /last/);
    assert.match(pathPatternProblem('/a/{x-y}') ?? '', /\{name\}/);
    assert.match(pathPatternProblem('/a/../b') ?? '', /\.\./);
    assert.match(pathPatternProblem('/a b') ?? '', /percent-encoded/);
    assert.equal(pathPatternProblem('/v1/orders/{id}/items/**'), null);
  });

  it('resolves an ordinary path (lower case, no escapes, no ;) exactly as match does (property)', () => {
    const segment = fc.constantFrom('v1', 'orders', 'export', 'files', '42', 'a-b');
    fc.assert(
      fc.property(
        fc.array(segment, { minLength: 0, maxLength: 5 }),
        fc.constantFrom('GET', 'POST', 'PUT'),
        (s, m) => {
          const path = `/${s.join('/')}`;
          const resolved = table.resolve(m, path);
          return resolved === (table.match(m, path) ?? 'route_not_found');
        },
      ),
    );
  });

  it('refuses, when case is ignored, two routes that differ only by letter case', () => {
    const routes = [rule(['GET'], '/a/B'), rule(['GET'], '/a/b')];
    assert.throws(() => new RouteTable(routes, 1), /declared twice .*when letter case is ignored/);
    assert.equal(new RouteTable(routes, 1, { caseSensitive: true }).match('GET', '/a/B')?.pattern, '/a/B');
  });

  it('never matches a path that does not fit the pattern segment by segment (property)', () => {
    const segment = fc.stringMatching(/^[a-z0-9]{1,6}$/);
    fc.assert(
      fc.property(
        fc.array(segment, { minLength: 1, maxLength: 5 }),
        fc.array(segment, { minLength: 1, maxLength: 5 }),
        (route, request) => {
          const t = new RouteTable([rule(['GET'], `/${route.join('/')}`)], 1);
          const matched = t.match('GET', `/${request.join('/')}`) !== null;
          return matched === (route.join('/') === request.join('/'));
        },
      ),
    );
  });
});
