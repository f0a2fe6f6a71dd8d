import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { generateCredential } from '../../src/crypto/key-format.ts';
import { recordSecret } from '../support/artifacts.ts';
import { createHttpsClient, type HttpResponse } from '../support/https-client.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

/**
 * Bad input never breaks the admin API: whatever arrives, the answer is a 4xx problem+json with a
 * code and a request id (never a 5xx), and what was already stored stays exactly as it was.
 */
describe('admin API under fuzzed input', () => {
  let server: TestServer;
  let keyId: string;
  let integratorId: string;
  let snapshot: string;

  const state = async () => {
    const key = await server.admin('GET', `/admin/v1/keys/${keyId}`);
    const integrator = await server.admin('GET', `/admin/v1/integrators/${integratorId}`);
    const keys = await server.admin('GET', '/admin/v1/keys?limit=200');
    const integrators = await server.admin('GET', '/admin/v1/integrators?limit=200');
    return JSON.stringify([key.json, integrator.json, keys.json.data.length, integrators.json.data.length]);
  };

  const assertProblem = (response: HttpResponse, context: unknown) => {
    assert.ok(
      response.status >= 400 && response.status < 500,
      `status ${response.status} for ${String(JSON.stringify(context)).slice(0, 300)}`,
    );
    assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
    assert.equal(typeof response.json?.code, 'string');
    assert.equal(typeof response.json?.request_id, 'string');
    assert.equal(response.json?.status, response.status);
    assert.ok(!/\n\s+at /.test(response.text), 'no stack trace');
  };

  before(async () => {
    server = await startTestServer({ name: 'admin-fuzz' });
    integratorId = (await server.admin('POST', '/admin/v1/integrators', { body: { name: 'Fuzz target' } }))
      .json.id;
    keyId = (
      await server.admin('POST', '/admin/v1/keys', {
        body: {
          integrator_id: integratorId,
          name: 'stable',
          environment: 'sandbox',
          scopes: ['a:b'],
          metadata: { team: 'x' },
        },
      })
    ).json.id;
    snapshot = await state();
  });
  after(async () => {
    try {
      assert.equal(await state(), snapshot, 'stored data changed during the fuzz run');
    } finally {
      await server.close();
    }
  });

  const validPut = {
    name: 'stable',
    owner: null,
    scopes: ['a:b'],
    allowed_ips: [],
    expires_at: null,
    metadata: { team: 'x' },
    usage_limit: null,
    rate_limit: null,
  };
  const wrongValues: Record<keyof typeof validPut, unknown[]> = {
    name: [null, 1, '', 'x'.repeat(201), [], {}, true],
    owner: [1, '', [], {}, false],
    scopes: [null, 'a:b', [1], ['has space'], ['a', 'a'], [''], Array(101).fill('s'), [{}]],
    allowed_ips: [null, '10.0.0.0/8', ['10.0.0.0/33'], ['not an ip'], [1], ['::1/200']],
    expires_at: ['tomorrow', 1, '2026-13-45T00:00:00Z', {}, true],
    metadata: [
      null,
      [],
      'x',
      1,
      Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])),
      { big: 'x'.repeat(17000) },
    ],
    usage_limit: [
      { remaining: -1, refill: null },
      { remaining: 1 },
      { remaining: 1, refill: { amount: 0, interval: 'day' } },
      { remaining: 1, refill: { amount: 1, interval: 'year' } },
      5,
    ],
    rate_limit: [
      { requests_per_second: 0, burst: 1 },
      { requests_per_second: 1 },
      { requests_per_second: 1, burst: 0.5 },
      'fast',
    ],
  };
  const fields = Object.keys(validPut) as (keyof typeof validPut)[];

  it('a PUT with one field missing or of the wrong type is a 400 naming that field, and changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...fields),
        fc.nat(),
        fc.boolean(),
        fc
          .dictionary(fc.string({ maxLength: 20 }), fc.anything(), { maxKeys: 2 })
          // Prototype-poisoning keys, at any depth, are refused before validation; the proto test
          // below covers them.
          .filter((extra) => !/"(__proto__|constructor)"/.test(JSON.stringify(extra) ?? '')),
        async (field, pick, remove, extra) => {
          const body: Record<string, unknown> = { ...validPut };
          if (remove) delete body[field];
          else body[field] = wrongValues[field][pick % wrongValues[field].length];
          const response = await server.admin('PUT', `/admin/v1/keys/${keyId}`, {
            body: { ...extra, ...body },
          });
          assertProblem(response, body);
          assert.ok(
            response.json.errors?.some(
              (e: { field: string }) =>
                e.field.startsWith(`/${field}`) || Object.hasOwn(extra, e.field.slice(1)),
            ),
            `errors should name /${field}: ${JSON.stringify(response.json.errors)}`,
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  it('odd paths (bad percent-encoding, over-long segments) with a secret in the query are a problem that echoes nothing', async () => {
    const secret = recordSecret(generateCredential('gate', 'admin'));
    const segment = fc.oneof(
      fc.constantFrom('%', '%zz', '%E0%A4%A', '%C0%AF', '%00', '..', '%2e%2e', '%2F', ';x=1'),
      fc.integer({ min: 190, max: 400 }).map((n) => 'a'.repeat(n)),
      fc.stringMatching(/^[A-Za-z0-9%._~-]{1,30}$/),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/admin/v1/keys/', '/admin/v1/integrators/', '/admin/v1/'),
        segment,
        fc.constantFrom('token', 'q', 'jwt', 'x'),
        async (base, tail, name) => {
          const response = await server.admin('GET', `${base}${tail}?${name}=${secret}`);
          assertProblem(response, `${base}${tail}`);
          assert.ok(!response.text.includes(secret), 'the URL is not echoed');
        },
      ),
      { numRuns: 80 },
    );
  });

  it('arbitrary JSON to every mutation endpoint is refused with a problem, never a 5xx', async () => {
    const endpoints = [
      ['POST', '/admin/v1/keys'],
      ['POST', '/admin/v1/integrators'],
      ['PUT', () => `/admin/v1/keys/${keyId}`],
      ['PUT', () => `/admin/v1/integrators/${integratorId}`],
      ['POST', () => `/admin/v1/keys/${keyId}/rotate`],
      ['POST', '/admin/v1/admin-tokens'],
    ] as const;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...endpoints),
        fc.oneof(
          fc.anything(),
          fc.json().map((j) => JSON.parse(j)),
        ),
        async ([method, path], body) => {
          // `{}` is a valid rotate body; `{ a: undefined }` is sent as `{}` too.
          fc.pre(JSON.stringify(body) !== '{}');
          const target = typeof path === 'function' ? path() : path;
          const response = await server.admin(method, target, {
            body: JSON.stringify(body) ?? 'null',
            headers: { 'content-type': 'application/json' },
          });
          if (response.status < 400) {
            // Only rotate accepts an object without required fields; its effect is checked by the snapshot below.
            assert.fail(`accepted ${JSON.stringify(body).slice(0, 200)} on ${method} ${target}`);
          }
          assertProblem(response, body);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('huge, unicode and deeply nested bodies are refused cleanly', async () => {
    const huge = { integrator_id: integratorId, environment: 'sandbox', name: 'é'.repeat(600_000) };
    assertProblem(await server.admin('POST', '/admin/v1/keys', { body: huge }), 'huge');
    const unicode = {
      integrator_id: integratorId,
      environment: 'sandbox',
      name: '\u0000\uFFFF\uD83D\uDE00'.repeat(100),
    };
    assertProblem(await server.admin('POST', '/admin/v1/keys', { body: unicode }), 'unicode');
    const nested = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    const deep = await server.admin('POST', '/admin/v1/integrators', {
      body: `{"name":"n","metadata":${nested}}`,
      headers: { 'content-type': 'application/json' },
    });
    assertProblem(deep, 'nested');
    assert.equal(deep.json.code, 'json_too_deep');
    assertProblem(
      await server.admin('POST', '/admin/v1/integrators', {
        body: '{"__proto__":{"admin":true},"name":"p"}',
        headers: { 'content-type': 'application/json' },
      }),
      'proto',
    );
  });

  it('malformed ids in paths are a 400 or 404 problem', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'grapheme', maxLength: 60 }),
        fc.constantFrom('', '/rotate', '/revoke'),
        async (id, suffix) => {
          fc.pre(id.length > 0);
          const method = suffix === '' ? 'GET' : 'POST';
          const response = await server.admin(
            method,
            `/admin/v1/keys/${encodeURIComponent(id)}${suffix}`,
            suffix ? { body: {} } : {},
          );
          assertProblem(response, id);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('wrong content types are a 415 and bad tokens a 401 or 400, before any body is read', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constantFrom(
            'text/plain',
            'application/xml',
            'multipart/form-data; boundary=x',
            'application/x-www-form-urlencoded',
            'application/octet-stream',
          ),
          fc
            .stringMatching(/^[a-z]{1,10}\/[a-z0-9.+-]{1,20}$/)
            .filter((t) => !t.startsWith('application/json')),
        ),
        async (contentType) => {
          const response = await server.admin('POST', '/admin/v1/integrators', {
            body: '{"name":"ct"}',
            headers: { 'content-type': contentType },
          });
          assert.equal(response.status, 415, contentType);
          assertProblem(response, contentType);
        },
      ),
      { numRuns: 60 },
    );
    // From an address of its own: this many failures throttle it (429), not the owner's requests.
    const guesser = createHttpsClient(server.ca, { localAddress: '127.0.0.3' });
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[\x21-\x7e]{0,80}$/), fc.boolean(), async (token, bearer) => {
        const response = await guesser.send(`${server.adminUrl}/admin/v1/integrators`, {
          method: 'POST',
          headers: { authorization: bearer ? `Bearer ${token}` : token },
          body: { name: 'never created' },
        });
        assert.ok([400, 401, 429].includes(response.status), `status ${response.status}`);
        assertProblem(response, token);
      }),
      { numRuns: 150 },
    );
    await guesser.close();
  });
});
