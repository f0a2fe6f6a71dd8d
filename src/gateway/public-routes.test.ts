import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { HEALTH_ROUTE, type PublicRoute } from './public-route.ts';
import { PublicRoutes } from './public-routes.ts';

const ROTATE: PublicRoute = { method: 'POST', path: '/gatehouse/v1/credentials/self/rotate', handle() {} };
const routes = new PublicRoutes([HEALTH_ROUTE, ROTATE], () => {}, pino({ level: 'silent' }));

it('keeps every spelling of /gatehouse/ for itself, and nothing else', () => {
  // A first segment and whether some server reads it as `gatehouse`.
  const first = fc.constantFrom(
    ['gatehouse', true],
    ['GATEHOUSE', true],
    ['GateHouse', true],
    ['gatehouse.', true],
    ['gatehouse%20', true],
    ['gatehouse;x=1', true],
    ['gatehouse%3Bx', true],
    ['gatehouse::$DATA', true],
    ['gatehou%C5%BFe', true],
    ['%67atehouse', true],
    ['gatehouses', false],
    ['gatehous', false],
    ['gate-house', false],
    ['v1', false],
  ) as fc.Arbitrary<[string, boolean]>;
  const rest = fc.array(fc.stringMatching(/^[A-Za-z0-9._~-]{0,12}$/), { maxLength: 4 });
  fc.assert(
    fc.property(
      first,
      rest,
      fc.boolean(),
      fc.constantFrom('GET', 'POST', 'DELETE'),
      ([segment, reads], more, slash, method) => {
        const target = `/${[segment, ...more].join('/')}${slash ? '/' : ''}`;
        const found = routes.find(method, target, target.length);
        const reserved = reads && target !== ROTATE.path;
        assert.equal(
          found !== undefined && 'kind' in found && found.kind === 'reserved_path',
          reserved,
          target,
        );
      },
    ),
  );
});

it('answers a public path with another method by what it takes (GET brings HEAD), ignoring the query', () => {
  assert.deepEqual(routes.find('POST', '/healthz?x=1', 8), { kind: 'wrong_method', allow: 'GET, HEAD' });
  assert.equal(routes.find('HEAD', '/healthz', 8), HEALTH_ROUTE);
  assert.deepEqual(routes.find('GET', ROTATE.path, ROTATE.path.length), {
    kind: 'wrong_method',
    allow: 'POST',
  });
  assert.equal(routes.find('GET', '/healthz/', 9), undefined, 'public paths match exactly');
});
