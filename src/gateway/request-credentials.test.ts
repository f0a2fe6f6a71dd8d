import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { generateCredential } from '../crypto/key-format.ts';
import { readRawRequest } from './raw-request.ts';
import {
  credentialsInRawRequest,
  credentialsInRequest,
  MAX_CREDENTIALS_PER_REQUEST,
} from './request-credentials.ts';

const prefixes = fc.stringMatching(/^[a-z][a-z0-9]{1,15}$/);
const markers = fc.constantFrom('live', 'test', 'cslive', 'cstest', 'admin');
/** Printable ASCII and the odd tab: what a request line or header field can hold around a credential. */
const text = fc.string({
  unit: fc.constantFrom(...'\t !"#$%&\'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~gatelive'),
  maxLength: 40,
});
const headerName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/);
const request = fc.record({
  target: text.map((t) => `/${t}`),
  headers: fc.array(fc.tuple(headerName, text), { maxLength: 6 }),
});

/** Puts `credential` between `before` and `after` in the target (at -1) or in header `at`'s name or value. */
function embed(
  req: { target: string; headers: [string, string][] },
  credential: string,
  at: number,
  inName: boolean,
  before: string,
  after: string,
): { target: string; raw: string[] } {
  const spelled = `${before}${credential}${after}`;
  const raw = req.headers.flat();
  if (at < 0 || raw.length === 0) return { target: `${req.target}${spelled}`, raw };
  const index = 2 * (at % req.headers.length) + (inName ? 0 : 1);
  raw[index] = `${raw[index]}${spelled}`;
  return { target: req.target, raw };
}

describe('credentials in a request', () => {
  it('finds a valid credential anywhere in the request line or headers, whatever surrounds it (property)', () => {
    fc.assert(
      fc.property(
        request,
        prefixes,
        markers,
        fc.integer({ min: -1, max: 10 }),
        fc.boolean(),
        text,
        text,
        (req, prefix, marker, at, inName, before, after) => {
          const credential = generateCredential(prefix, marker);
          const { target, raw } = embed(req, credential, at, inName, before, after);
          const found = credentialsInRequest(target, raw);
          assert.ok(
            found.some((f) => f.value === credential && f.marker === marker),
            `not found in ${JSON.stringify({ target, raw })}`,
          );
        },
      ),
    );
  });

  it('finds it inside Basic credentials and behind percent-encoding (property)', () => {
    fc.assert(
      fc.property(
        prefixes,
        fc.string({ maxLength: 40 }),
        fc.array(fc.boolean(), { minLength: 80, maxLength: 80 }),
        (prefix, id, encode) => {
          const credential = generateCredential(prefix, 'live');
          const basic = `Basic ${Buffer.from(`${id}:${credential}`).toString('base64')}`;
          const encoded = [...credential]
            .map((c, i) => (encode[i] ? `%${c.charCodeAt(0).toString(16).padStart(2, '0')}` : c))
            .join('');
          for (const [target, raw] of [
            ['/v1/orders', ['Authorization', basic]],
            [`/v1/orders?api_key=${encoded}`, []],
            ['/', ['Cookie', `session=${encoded}`]],
          ] as [string, string[]][]) {
            assert.deepEqual(
              credentialsInRequest(target, raw).map((f) => f.value),
              [credential],
              JSON.stringify({ target, raw }),
            );
          }
        },
      ),
    );
  });

  it('never finds a credential with one character changed (property)', () => {
    fc.assert(
      fc.property(
        request,
        prefixes,
        markers,
        fc.nat(),
        fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'),
        fc.integer({ min: -1, max: 10 }),
        fc.boolean(),
        (req, prefix, marker, position, replacement, at, inName) => {
          const credential = generateCredential(prefix, marker);
          const bodyStart = credential.lastIndexOf('_') + 1;
          const index = bodyStart + (position % (credential.length - bodyStart));
          fc.pre(credential[index] !== replacement);
          const typo = credential.slice(0, index) + replacement + credential.slice(index + 1);
          const { target, raw } = embed(req, typo, at, inName, ' ', ' ');
          assert.deepEqual(
            credentialsInRequest(target, raw).filter((f) => f.marker !== null),
            [],
          );
        },
      ),
    );
  });

  it('names each credential once, where it was first seen, and looks at no more than the cap', () => {
    const key = generateCredential('gate', 'live');
    const found = credentialsInRequest(`/v1/${key}`, ['X-API-Key', key, 'Authorization', `Bearer\t${key}`]);
    assert.deepEqual(found, [{ value: key, marker: 'live', location: 'request_target', clientIds: [] }]);
    const many = Array.from({ length: MAX_CREDENTIALS_PER_REQUEST + 4 }, () =>
      generateCredential('gate', 'test'),
    );
    assert.equal(credentialsInRequest('/', ['X-Keys', many.join(',')]).length, MAX_CREDENTIALS_PER_REQUEST);
  });

  it('offers JWT-shaped strings as candidates, wherever they are', () => {
    const jwt = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    assert.deepEqual(credentialsInRequest(`/v1/orders?access_token=${jwt}`, ['User-Agent', 'curl']), [
      { value: jwt, marker: null, location: 'request_target', clientIds: [] },
    ]);
  });

  it('finds a credential in the bytes of a plain connection however they end: cut short, not HTTP, in the body (property)', () => {
    const eol = fc.constantFrom('\r\n', '\n');
    fc.assert(
      fc.property(
        request,
        prefixes,
        markers,
        eol,
        fc.integer({ min: 0, max: 3 }),
        (req, prefix, marker, nl, cut) => {
          const credential = generateCredential(prefix, marker);
          const head = [`POST ${req.target} HTTP/1.1`, ...req.headers.map(([n, v]) => `${n}: ${v}`)];
          const placed = [
            `${head.join(nl)}${nl}X-API-Key: ${credential}${nl}`, // no blank line
            `${head.join(nl)}${nl}${nl}client_secret=${credential}`, // in the body
            `PRI * HTTP/2.0${nl}${nl}SM${credential}`, // not HTTP/1
            `${head.join(nl)}${nl}X-API-Key ${credential}${nl}${nl}`, // a header line without a colon
          ][cut] as string;
          const found = credentialsInRawRequest(readRawRequest(Buffer.from(placed, 'latin1')));
          assert.ok(
            found.some((f) => f.value === credential),
            `not found in ${JSON.stringify(placed)}`,
          );
        },
      ),
    );
  });

  it('names the client ids sent next to a credential: client_id= (also percent-encoded) and Basic', () => {
    const secret = generateCredential('gate', 'cstest');
    const [a, b] = ['0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b', '0190a1b2-c3d4-7e5f-9a6b-7c8d9e0f1a2c'];
    const form = `POST /oauth/token HTTP/1.1\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n`;
    const inForm = credentialsInRawRequest(
      readRawRequest(
        Buffer.from(`${form}grant_type=client_credentials&client%5Fid=${a}&client_secret=${secret}`),
      ),
    );
    assert.deepEqual(
      inForm.map((f) => [f.location, f.clientIds]),
      [['body', [a]]],
    );
    const basic = Buffer.from(`${b.toUpperCase()}:${secret}`).toString('base64');
    assert.deepEqual(
      credentialsInRequest('/oauth/token', ['Authorization', `Basic ${basic}`])[0]?.clientIds,
      [b],
    );
    assert.deepEqual(credentialsInRequest(`/x?client_id=not-a-uuid&s=${secret}`, [])[0]?.clientIds, []);
  });
});
