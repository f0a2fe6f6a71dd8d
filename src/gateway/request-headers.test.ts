import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { generateCredential } from '../crypto/key-format.ts';
import { presentedCredential } from './presented-credential.ts';
import { GATEHOUSE_FIELDS, readRequestHeaders, responseHeaders } from './request-headers.ts';

const namesOf = (flat: readonly string[]) => flat.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());

describe('request headers', () => {
  it('forwards ordinary headers and drops credentials, hop-by-hop fields and spoofable gateway headers', () => {
    const headers = readRequestHeaders([
      'Host',
      'api.example.com',
      'Accept',
      'application/json',
      'X-API-Key',
      'k',
      'Connection',
      'keep-alive, X-Trace-Hop',
      'X-Trace-Hop',
      'drop me',
      'Keep-Alive',
      'timeout=5',
      'TE',
      'trailers',
      'Upgrade',
      'h2c',
      'Proxy-Authorization',
      'Basic x',
      'Gatehouse-Integrator-Id',
      'spoofed',
      'gatehouse-scopes',
      'admin:*',
      'X-Forwarded-For',
      '6.6.6.6',
      'Forwarded',
      'for=6.6.6.6',
      'Content-Length',
      '12',
      'Cookie',
      'a=b',
      'User-Agent',
      'curl/8',
    ]);
    assert.deepEqual(namesOf(headers.forward), ['accept', 'content-length', 'cookie', 'user-agent']);
    assert.equal(headers.apiKey, 'k');
    assert.equal(headers.host, 'api.example.com');
    assert.equal(headers.contentLength, '12');
    assert.equal(headers.forwardedFor, '6.6.6.6');
    assert.equal(headers.userAgent, 'curl/8');
  });

  it('drops method overrides, which would let an upstream run another method than the one routed', () => {
    const headers = readRequestHeaders([
      'X-HTTP-Method-Override',
      'DELETE',
      'x-http-method',
      'DELETE',
      'X-Method-Override',
      'PUT',
      'Accept',
      '*/*',
    ]);
    assert.deepEqual(namesOf(headers.forward), ['accept']);
  });

  it('drops the underscore spelling of every field Gatehouse reads, sets or strips, and keeps other underscores', () => {
    const headers = readRequestHeaders([
      'Gatehouse_Integrator_Id',
      'victim',
      'gatehouse_scopes',
      'admin:*',
      'X_Forwarded_For',
      '6.6.6.6',
      'X-Forwarded_Proto',
      'http',
      'X_API_KEY',
      'gate_live_secret',
      'X_HTTP_Method_Override',
      'DELETE',
      'Transfer_Encoding',
      'chunked',
      'X_Request_Tag',
      'kept',
    ]);
    assert.deepEqual(namesOf(headers.forward), ['x_request_tag']);
    assert.equal(headers.forwardedFor, undefined, 'the alias is not read as the real field either');
    assert.equal(headers.apiKey, undefined);
  });

  it('never forwards a field of GATEHOUSE_FIELDS, in either spelling (the list and the reader agree)', () => {
    for (const name of [...GATEHOUSE_FIELDS, 'gatehouse-anything']) {
      for (const spelled of [name, name.toUpperCase(), name.replaceAll('-', '_')]) {
        assert.deepEqual(readRequestHeaders([spelled, 'v']).forward, [], spelled);
      }
    }
  });

  it('never forwards the fields upstreams route by or take as the client address', () => {
    const overrides = [
      'X-Original-URL',
      'X-Rewrite-URL',
      'X-Original-Method',
      'X-Forwarded-Prefix',
      'X-Forwarded-Uri',
      'X-Forwarded-Scheme',
      'X-Forwarded-Ssl',
      'X-Forwarded-Anything-New',
      'True-Client-IP',
      'X-Client-IP',
      'CF-Connecting-IP',
    ];
    for (const name of overrides)
      assert.deepEqual(readRequestHeaders([name, '/v1/items/secret']).forward, [], name);
  });

  it('reads two X-Forwarded-Proto fields as one list, so http in either one counts', () => {
    const headers = readRequestHeaders(['X-Forwarded-Proto', 'http', 'X-Forwarded-Proto', 'https']);
    assert.equal(headers.forwardedProto, 'http,https');
  });

  it('notices a repeated Host header', () => {
    assert.equal(readRequestHeaders(['Host', 'a.example', 'host', 'b.example']).duplicateHost, true);
    assert.equal(readRequestHeaders(['Host', 'a.example']).duplicateHost, false);
  });

  it('notices a repeated credential header', () => {
    assert.equal(readRequestHeaders(['x-api-key', 'a', 'X-Api-Key', 'b']).duplicateCredential, true);
    assert.equal(
      readRequestHeaders(['authorization', 'Bearer a', 'authorization', 'Bearer b']).duplicateCredential,
      true,
    );
  });

  it('never forwards a credential header, whatever its spelling (property)', () => {
    const spelling = fc
      .constantFrom('x-api-key', 'authorization', 'proxy-authorization', 'gatehouse-credential-id')
      .chain((name) =>
        fc
          .array(fc.boolean(), { minLength: name.length, maxLength: name.length })
          .map((upper) => [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('')),
      );
    fc.assert(
      fc.property(
        spelling,
        fc.string(),
        fc.array(fc.tuple(fc.stringMatching(/^[a-z]{1,10}$/), fc.string())),
        (name, value, others) => {
          const raw = [...others.flat(), name, value];
          return !namesOf(readRequestHeaders(raw).forward).includes(name.toLowerCase());
        },
      ),
    );
  });

  it('builds response headers without hop-by-hop fields and with the gateway own', () => {
    const out = responseHeaders(
      {
        'content-type': 'application/json',
        connection: 'keep-alive, x-hop',
        'x-hop': '1',
        'transfer-encoding': 'chunked',
        'set-cookie': ['a=1', 'b=2'],
        'strict-transport-security': 'max-age=0',
      },
      ['gatehouse-request-id', 'r1'],
    );
    assert.deepEqual(out, [
      'content-type',
      'application/json',
      'set-cookie',
      'a=1',
      'set-cookie',
      'b=2',
      'gatehouse-request-id',
      'r1',
    ]);
  });
});

describe('presented credential', () => {
  const key = generateCredential('gate', 'test');
  const from = (raw: string[]) => presentedCredential(readRequestHeaders(raw));

  it('takes the key from X-API-Key or from Authorization: Bearer', () => {
    assert.deepEqual(from(['x-api-key', key]), {
      kind: 'presented',
      credential: { via: 'x-api-key', value: key },
    });
    assert.deepEqual(from(['Authorization', `Bearer ${key}`]), {
      kind: 'presented',
      credential: { via: 'bearer', value: key },
    });
    assert.deepEqual(from(['authorization', `bearer   ${key}`]), {
      kind: 'presented',
      credential: { via: 'bearer', value: key },
    });
  });

  it('says none when no credential header is sent', () => {
    assert.equal(from(['accept', '*/*']).kind, 'none');
  });

  it('treats malformed or ambiguous credential headers as an invalid request', () => {
    for (const raw of [
      ['authorization', `Basic ${Buffer.from('a:b').toString('base64')}`],
      ['authorization', 'Bearer'],
      ['authorization', `Bearer ${key} extra`],
      ['authorization', `Token ${key}`],
      ['x-api-key', 'two words'],
      ['x-api-key', key, 'authorization', `Bearer ${key}`],
      ['x-api-key', key, 'x-api-key', key],
    ]) {
      assert.equal(from(raw).kind, 'invalid', raw.join(': '));
    }
  });

  it('never throws and always classifies, whatever the header values (property)', () => {
    fc.assert(
      fc.property(
        fc.option(fc.string({ maxLength: 600 })),
        fc.option(fc.string({ maxLength: 600 })),
        (apiKey, authorization) => {
          const raw: string[] = [];
          if (apiKey !== null) raw.push('x-api-key', apiKey);
          if (authorization !== null) raw.push('authorization', authorization);
          const result = from(raw);
          if (apiKey === null && authorization === null) return result.kind === 'none';
          if (result.kind === 'presented')
            return result.credential.value.length > 0 && !/\s/.test(result.credential.value);
          return result.kind === 'invalid';
        },
      ),
    );
  });
});
