import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { normalizeRequestTarget, requestPathLength } from './request-path.ts';
import { type MatchedRoute, type RouteRefusal, type RouteRule, RouteTable } from './route-table.ts';

/** What the gateway does with a request target: path sanity, normalisation, then the route table. */
function decide(
  table: RouteTable,
  received: string,
): { route: MatchedRoute; forwarded: string } | RouteRefusal {
  const receivedEnd = requestPathLength(received);
  if (receivedEnd === -1) return 'invalid_path';
  const target = normalizeRequestTarget(received, receivedEnd);
  const route = table.resolve('GET', target, receivedEnd + target.length - received.length);
  return typeof route === 'string' ? route : { route, forwarded: target };
}

const rule = (path: string, scopes: string[], allowPathParameters = false): RouteRule => ({
  methods: ['GET'],
  path,
  scopes,
  maxBodyBytes: null,
  bodySchema: null,
  allowPathParameters,
});

describe('path spellings (T5)', () => {
  const table = new RouteTable([rule('/v1/items/secret', ['admin:all']), rule('/v1/items/{id}', [])], 1);
  const scopesOf = (target: string) => {
    const outcome = decide(table, target);
    return typeof outcome === 'string' ? outcome : outcome.route.scopes;
  };

  it('holds every spelling of the secret route to its scope, or refuses it', () => {
    assert.deepEqual(scopesOf('/v1/items/secret'), ['admin:all']);
    assert.deepEqual(scopesOf('/v1/items/%73ecret'), ['admin:all']);
    assert.deepEqual(scopesOf('/v1/items/%73%65%63%72%65%74'), ['admin:all']);
    assert.equal(scopesOf('/v1/items/secret;x=1'), 'path_parameters_not_allowed');
    assert.equal(scopesOf('/v1/items/secret;'), 'path_parameters_not_allowed');
    assert.equal(scopesOf('/v1/items/secret%3b'), 'path_parameters_not_allowed');
    assert.equal(scopesOf('/v1/items/secret%3Bx=1'), 'path_parameters_not_allowed');
    assert.equal(scopesOf('/v1/items/..;/items/secret'), 'path_parameters_not_allowed');
    assert.equal(scopesOf('/v1/items/SECRET'), 'ambiguous_path');
    assert.equal(scopesOf('/v1/items/Secret'), 'ambiguous_path');
    assert.equal(scopesOf('/v1/items/%53ecret'), 'ambiguous_path');
    assert.equal(scopesOf('/v1/items/%C5%BFecret'), 'ambiguous_path', 'ſ is upper-cased to S');
    assert.equal(scopesOf('/v1/items/%EF%BD%93ecret'), 'ambiguous_path', 'fullwidth ｓ is s under NFKC');
    assert.equal(scopesOf('/v1/items/%2573ecret'), 'invalid_path', 'a double-decoding upstream reads s');
  });

  it('refuses an extension, trailing dots or spaces, or a stream name that a file-name reader cuts off', () => {
    for (const spelling of [
      '/v1/items/secret.json',
      '/v1/items/secret.',
      '/v1/items/secret...',
      '/v1/items/SECRET.',
      '/v1/items/secret%20',
      '/v1/items/secret%20%20',
      '/v1/items/secret::$DATA',
      '/v1/items/secret:',
      '/v1/items/secret%3A%3A$DATA',
      '/v1/items/secret.tar.gz',
      '/v1/items/secret:cancel',
      '/v1/items/Secret.json',
    ])
      assert.equal(scopesOf(spelling), 'ambiguous_path', spelling);
    assert.equal(scopesOf('/v1/items/..json'), 'invalid_path', 'a Rails-style reader would see ".."');
    assert.equal(scopesOf('/v1/items/..%20'), 'invalid_path', 'IIS would see ".."');
  });

  it('still serves file names that read as the same route, and literals with a dot or colon as declared', () => {
    for (const id of ['ord_123.pdf', 'ORD_123.pdf', 'jane.doe@example.com', '.env', 'urn:isbn:123', 'a.b.c'])
      assert.deepEqual(scopesOf(`/v1/items/${id}`), [], id);
    const t = new RouteTable(
      [
        rule('/v1/openapi.json', []),
        rule('/v1/a:b', []),
        rule('/v1.0/{p}', []),
        rule('/v1/{p}', ['p']),
        rule('/v1/files/**', []),
      ],
      1,
    );
    const route = (target: string) => {
      const outcome = decide(t, target);
      return typeof outcome === 'string' ? outcome : outcome.route.pattern;
    };
    assert.equal(route('/v1/openapi.json'), '/v1/openapi.json');
    assert.equal(route('/v1/a:b'), '/v1/a:b');
    assert.equal(route('/v1.0/x.json'), '/v1.0/{p}');
    assert.equal(route('/v1/files/report.v2.json'), '/v1/files/**');
    assert.equal(route('/v1/files/dir./report.json/'), '/v1/files/**');
    assert.equal(route('/v1/openapi.json.'), 'ambiguous_path', 'IIS reads /v1/openapi.json');
    assert.equal(route('/v1/openapi.json.gz'), 'ambiguous_path', 'Rails reads /v1/openapi.json');
    assert.equal(route('/v1/openapi.yaml'), '/v1/{p}', 'read as /v1/openapi, also under {p}');
  });

  it('forwards the normalised path, which is the one that was matched', () => {
    const outcome = decide(table, '/v1/items/%73ecret?q=%73');
    assert.ok(typeof outcome !== 'string');
    assert.equal(outcome.forwarded, '/v1/items/secret?q=%73');
  });

  it('still serves ordinary paths: ids with upper case, encoded reserved characters', () => {
    assert.deepEqual(scopesOf('/v1/items/ABC123'), []);
    assert.deepEqual(scopesOf('/v1/items/jane%40example.com'), []);
    assert.deepEqual(scopesOf('/v1/items/caf%C3%A9'), []);
    assert.equal(scopesOf('/v1/items/%FF'), 'ambiguous_path', 'not UTF-8: no single case-folded reading');
  });

  it('lets a route that opts in take ;parameters, matched with them cut off', () => {
    const t = new RouteTable(
      [
        rule('/v1/cars/{id}', ['cars'], true),
        rule('/v1/cars/fleet', ['fleet:admin']),
        rule('/v1/x/**', [], true),
      ],
      1,
    );
    const route = (target: string) => {
      const outcome = decide(t, target);
      return typeof outcome === 'string' ? outcome : outcome.route.pattern;
    };
    assert.equal(route('/v1/cars/42;color=red'), '/v1/cars/{id}');
    assert.equal(route('/v1/cars/fleet;x=1'), 'path_parameters_not_allowed', 'read as /v1/cars/fleet');
    assert.equal(route('/v1/x/..;/cars/fleet'), 'invalid_path');
    assert.equal(route('/v1/x/a/;x/b'), 'invalid_path');
    assert.equal(route('/v1/x/a;b/c'), '/v1/x/**');
  });

  it('refuses a trailing slash that an upstream ignoring it reads as another route', () => {
    const t = new RouteTable([rule('/v1/items/secret', ['admin:all']), rule('/v1/items/**', [])], 1);
    assert.equal(decide(t, '/v1/items/secret/'), 'ambiguous_path');
    assert.equal((decide(t, '/v1/items/other/') as { route: MatchedRoute }).route.pattern, '/v1/items/**');
  });

  it('refuses an encoded reserved character that a decoding upstream reads as another route', () => {
    const t = new RouteTable([rule('/v1/a@b', []), rule('/v1/{p}', ['p'])], 1);
    assert.equal(decide(t, '/v1/a%40b'), 'ambiguous_path');
    assert.equal(typeof decide(t, '/v1/a@b'), 'object');
  });

  it('with case-sensitive upstreams, treats case variants as the distinct paths they are', () => {
    const t = new RouteTable([rule('/v1/items/secret', ['admin:all']), rule('/v1/items/{id}', [])], 1, {
      caseSensitive: true,
    });
    const outcome = decide(t, '/v1/items/SECRET');
    assert.ok(typeof outcome !== 'string');
    assert.equal(outcome.route.pattern, '/v1/items/{id}');
  });

  it('reads an upper-case literal of the table case-insensitively too', () => {
    const t = new RouteTable([rule('/v1/Secret', ['admin:all']), rule('/v1/{p}', [])], 1);
    assert.equal(decide(t, '/v1/secret'), 'ambiguous_path');
    assert.deepEqual((decide(t, '/v1/Secret') as { route: MatchedRoute }).route.scopes, ['admin:all']);
  });
});

/** Literal segments of generated tables: an upper-case one, with a reserved character, a dot, a colon. */
const LITERALS = ['a', 'b', 'secret', 'Secret', 'x-y', 'a@b', 'q~1', 'v1.0', 'a:b'];
const PARAMETERS = [';', ';x=1', '%3B', '%3bx', ';a;b'];
/** What Windows drops from any segment (trailing dots and spaces, NTFS stream names)... */
const WINDOWS_NAME_ENDS = ['.', '...', '%20', '%20%20', '.%20.', '::$DATA', ':', '%3A%3A$DATA'];
/** ...and what Rails (`.:format`) and Spring (`.*`) also drop from the last one. */
const LAST_SEGMENT_ENDS = [...WINDOWS_NAME_ENDS, '.json', '.tar.gz', '.JSON'];

/**
 * The property behind T5: for any route table and any path, no spelling of the path (escapes of
 * any character, letter case, `;parameters`, encoded `;`, an extension on the last segment, trailing
 * dots or spaces or a `:stream` on any) reaches the upstream with fewer scopes than the route an
 * upstream that reads it leniently (decodes, cuts parameters and extensions, ignores case unless
 * told otherwise, reads names as Windows does) would serve, and what is forwarded reads as what
 * was sent.
 */
describe('no spelling of a path needs fewer scopes than the path itself (property)', () => {
  const pattern = fc
    .tuple(fc.array(fc.constantFrom(...LITERALS, '{p}'), { minLength: 0, maxLength: 3 }), fc.boolean())
    .map(([segments, rest]) => {
      const all = rest ? [...segments, '**'] : segments;
      return all.length === 0 ? '/' : `/${all.join('/')}`;
    });
  const tables = fc.record({
    patterns: fc.uniqueArray(pattern, { minLength: 1, maxLength: 7, selector: (p) => p.toLowerCase() }),
    allow: fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }),
    caseSensitive: fc.boolean(),
  });
  const canonical = fc.array(fc.constantFrom(...LITERALS, 'c', 'SECRET'), { minLength: 1, maxLength: 4 });
  const spelling = fc.array(fc.tuple(fc.nat(4), fc.boolean(), fc.nat(20)), { minLength: 40, maxLength: 40 });

  it('holds for every generated table and spelling', () => {
    let forwarded = 0;
    let runs = 0;
    fc.assert(
      fc.property(tables, canonical, spelling, ({ patterns, allow, caseSensitive }, segments, choices) => {
        runs++;
        const rules = patterns.map((p, i) => rule(p, [`s${i}`], allow[i]));
        const table = new RouteTable(rules, 1, { caseSensitive });
        const read = (path: string) => (caseSensitive ? path : path.toLowerCase());
        const oracle = new RouteTable(
          rules.map((r) => ({ ...r, path: read(r.path) })),
          1,
          { caseSensitive: true },
        );
        const path = `/${segments.map(read).join('/')}`;
        const expected = oracle.match('GET', path);
        const { spelled, plain } = spell(segments, choices, caseSensitive);
        const outcome = decide(table, spelled);
        if (typeof outcome === 'string') return true;
        forwarded++;
        assert.ok(expected !== null, `${spelled} reached ${outcome.route.pattern}; ${path} has no route`);
        for (const scope of expected.scopes)
          assert.ok(
            outcome.route.scopes.includes(scope),
            `${spelled} was held to ${outcome.route.pattern}, ${path} needs ${expected.pattern}`,
          );
        assert.equal(read(leniently(outcome.forwarded)), read(plain), 'the upstream reads what was sent');
        return true;
      }),
      { numRuns: 3000 },
    );
    assert.ok(forwarded > runs / 10, `only ${forwarded} of ${runs} spellings were forwarded at all`);
  });
});

/** The path as a lenient upstream reads it: parameters cut off, everything decoded, no trailing slash. */
function leniently(target: string): string {
  const path = (target.split('?')[0] as string).replace(/(.)\/$/, '$1');
  return path
    .split('/')
    .map((segment) => decodeURIComponent(segment.split(/;|%3B/i)[0] as string))
    .join('/');
}

/**
 * One spelling of `segments`, driven by `choices`: escapes, case changes (when folding), name
 * endings, parameters, a trailing slash; and `plain`, the path with the same name endings decoded.
 */
function spell(
  segments: readonly string[],
  choices: readonly [number, boolean, number][],
  caseSensitive: boolean,
): { spelled: string; plain: string } {
  let k = 0;
  const next = () => choices[k++ % choices.length] as [number, boolean, number];
  const plain: string[] = [];
  const spelled = `/${segments
    .map((segment, index) => {
      let out = '';
      for (const character of segment) {
        const [how, upperHex] = next();
        let c = character;
        if (!caseSensitive && how === 1) c = c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
        if (how >= 3) {
          const hex = c.charCodeAt(0).toString(16).padStart(2, '0');
          out += `%${upperHex ? hex.toUpperCase() : hex}`;
        } else out += c;
      }
      const [ends, , endWith] = next();
      const ending = ends !== 2 ? '' : index === segments.length - 1 ? LAST_SEGMENT_ENDS : WINDOWS_NAME_ENDS;
      const end = ending === '' ? '' : (ending[endWith % ending.length] as string);
      out += end;
      plain.push(segment + decodeURIComponent(end));
      const [how, , which] = next();
      if (how === 4) out += PARAMETERS[which % PARAMETERS.length];
      return out;
    })
    .join('/')}${next()[0] === 0 && next()[1] ? '/' : ''}`;
  return { spelled, plain: `/${plain.join('/')}` };
}
