import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { inspect } from 'node:util';
import {
  createClient,
  createWebhookReceiver,
  type GatehouseClient,
  GatehouseError,
  type RequestLogRecord,
  verifyWebhook,
  type WebhookReceipt,
} from '../src/index.ts';
import { CA, json, type Stub, startStub } from './stub-server.ts';
import { newSecret, signedHeaders } from './webhooks-fixtures.ts';

// Fresh values each run, with a prefix no pattern knows: redaction must not depend on the shape.
const random = () => randomBytes(18).toString('base64url');
const KEY = `acme_sktest_${random()}`;
const NEW_KEY = `acme_sktest_${random()}`;
const CLIENT_SECRET = `acme_cstest_${random()}`;
const TOKEN = `opaque-token-${random()}`;
const WEBHOOK_SECRET = newSecret();
const SECRETS = [KEY, NEW_KEY, CLIENT_SECRET, TOKEN, WEBHOOK_SECRET, WEBHOOK_SECRET.slice('whsec_'.length)];

/** Every way a value is commonly printed or serialized, the cause chain included. */
function renderings(value: unknown): string[] {
  const shown = [
    inspect(value, { showHidden: true, depth: 8 }),
    inspect(value),
    String(value),
    JSON.stringify(value) ?? '',
  ];
  let error: unknown = value;
  for (let depth = 0; error instanceof Error && depth < 5; depth++) {
    shown.push(error.message, String(error.stack), JSON.stringify(error));
    error = error.cause;
  }
  return shown;
}

function assertClean(label: string, value: unknown): void {
  for (const text of renderings(value)) {
    for (const secret of SECRETS) {
      assert.ok(!text.includes(secret), `${label} shows a secret: ${text.slice(0, 300)}`);
      const encoded = encodeURIComponent(secret);
      assert.ok(!text.includes(encoded), `${label} shows a URL-encoded secret`);
    }
  }
}

/** The rejection of `call`, which must reject. */
async function rejection(call: () => Promise<unknown>): Promise<unknown> {
  return call().then(
    () => assert.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  return assert.fail('expected a throw');
}

describe('redaction: no key, token or secret in anything the client prints or throws', () => {
  let stub: Stub;
  let status = 200;
  let stall = false;
  const records: RequestLogRecord[] = [];
  const clients: GatehouseClient[] = [];
  const client = (options: Record<string, unknown> = {}) => {
    const c = createClient({
      baseUrl: stub.url,
      apiKey: KEY,
      ca: CA,
      env: {},
      retries: { max: 1, baseDelayMs: 1, maxDelayMs: 2 },
      logger: (record) => records.push(record),
      ...options,
    });
    clients.push(c);
    return c;
  };

  before(async () => {
    stub = await startStub((req, res) => {
      if (stall) return; // never answers: the total timeout fires
      if (req.url === '/oauth/token') {
        if (status === 299) return json(res, 200, { token_type: 'Bearer' }); // no access_token
        if (status !== 200) return json(res, 401, { error: 'invalid_client' });
        return json(res, 200, { access_token: TOKEN, token_type: 'Bearer', expires_in: 300 });
      }
      if (req.url === '/gatehouse/v1/credentials/self/rotate') {
        return json(res, 201, status === 200 ? { id: 'key_1', key: NEW_KEY } : { id: 'key_1' });
      }
      if (status === 200) return json(res, 200, { ok: true });
      json(
        res,
        status,
        { code: 'some_code', errors: [{ field: 'amount', message: 'too small' }] },
        {
          'retry-after': '0',
        },
      );
    });
  });
  after(async () => {
    for (const c of clients) c.close();
    await stub.close();
  });

  it('construction errors name the variable or the rule, never a value', async () => {
    const cases: [string, () => unknown][] = [
      [
        'secret without id',
        () => createClient({ baseUrl: stub.url, env: { GATEHOUSE_CLIENT_SECRET: CLIENT_SECRET } }),
      ],
      ['id without secret', () => createClient({ baseUrl: stub.url, clientId: KEY, env: {} })],
      ['http://', () => createClient({ baseUrl: 'http://api.example.com', apiKey: KEY })],
      ['userinfo', () => createClient({ baseUrl: `https://u:${KEY}@api.example.com`, apiKey: KEY })],
      ['query', () => createClient({ baseUrl: `https://api.example.com/?key=${KEY}`, apiKey: KEY })],
      ['not a URL', () => createClient({ baseUrl: `${KEY} not a url`, apiKey: KEY })],
      ['empty setCredential', () => client().setCredential('')],
    ];
    for (const [label, call] of cases) assertClean(label, thrown(call));
    const c = client();
    assertClean(
      'path as URL',
      await rejection(() => c.request({ method: 'GET', path: `https://x.example/?k=${KEY}` })),
    );
  });

  it('the client object itself shows no credential', async () => {
    const c = client();
    await c.get('/v1/x');
    c.setCredential(NEW_KEY);
    const oauth = client({ apiKey: undefined, clientId: 'client_1', clientSecret: CLIENT_SECRET });
    await oauth.get('/v1/x');
    assertClean('API-key client', c);
    assertClean('OAuth client', oauth);
    assertClean('client keys', Object.keys(c));
  });

  it('every HTTP error class, through util.inspect, JSON.stringify, message, stack and cause', async () => {
    const c = client();
    for (const code of [400, 401, 403, 404, 409, 413, 422, 429, 500, 502, 503]) {
      status = code;
      const error = await rejection(() => c.post(`/v1/x/${KEY}?api_key=${KEY}`, { key: KEY }));
      assert.ok(error instanceof GatehouseError, `${code}`);
      assertClean(`status ${code}`, error);
    }
    status = 200;
  });

  it('OAuth failures: a refused secret, a token answer without a token, and a 401 after refresh', async () => {
    const oauth = () => client({ apiKey: undefined, clientId: 'client_1', clientSecret: CLIENT_SECRET });
    status = 401;
    assertClean('invalid_client', await rejection(() => oauth().get('/v1/x')));
    status = 299;
    assertClean('no access_token', await rejection(() => oauth().get('/v1/x')));
    status = 200;
    const c = oauth();
    await c.get('/v1/x');
    status = 401; // the data call and the token endpoint both refuse now
    assertClean('401 after token', await rejection(() => c.get('/v1/x')));
    status = 200;
  });

  it('network failures: refused, untrusted certificate, timeout, and a key no header can carry', async () => {
    assertClean(
      'refused',
      await rejection(() => client({ baseUrl: 'https://127.0.0.1:1' }).get(`/v1/${KEY}`)),
    );
    assertClean('untrusted', await rejection(() => client({ ca: undefined }).get(`/v1/${KEY}`)));
    stall = true;
    assertClean(
      'timeout',
      await rejection(() => client({ timeouts: { totalMs: 300 }, retries: { max: 0 } }).get('/v1/x')),
    );
    stall = false;
    const bad = client({ apiKey: `${KEY}\r\nx-evil: 1`, retries: { max: 0 } });
    const error = await rejection(() => bad.get('/v1/x'));
    for (const text of renderings(error)) assert.ok(!text.includes(KEY), text.slice(0, 300));
  });

  it('self-rotation: the new key never shows, nor a rotation answer without one', async () => {
    const c = client();
    let persisted = '';
    const info = await c.rotate({
      persist: (secret) => {
        persisted = secret;
      },
    });
    assert.equal(persisted, NEW_KEY);
    assertClean('rotation result', info);
    status = 500;
    assertClean('error after rotation', await rejection(() => c.get(`/v1/${NEW_KEY}`)));
    status = 201;
    assertClean('rotation without key', await rejection(() => client().rotate({ persist: () => {} })));
    status = 200;
  });

  it('the logger hook got records of every path above, none with a credential in it', () => {
    assert.ok(records.length > 20, `${records.length} records`);
    assert.ok(records.some((r) => r.outcome === 'retry'));
    assert.ok(records.some((r) => r.path === '/oauth/token'));
    assertClean('records', records);
    for (const record of records) assert.ok(Object.isFrozen(record));
  });
});

describe('redaction: the webhook receiver never shows a secret or a signature', () => {
  const body = JSON.stringify({ type: 'order.created', data: { id: 'o_1' } });

  it('verifyWebhook failures, a malformed secret included', async () => {
    const other = newSecret();
    const headers = signedHeaders([other], body);
    const signature = String(headers['webhook-signature']);
    const failures: unknown[] = [
      await rejection(() => verifyWebhook(body, headers, [WEBHOOK_SECRET])),
      await rejection(() => verifyWebhook(`${body} `, signedHeaders([WEBHOOK_SECRET], body), WEBHOOK_SECRET)),
      await rejection(async () => verifyWebhook(body, headers, [`whsec_${KEY}!`, WEBHOOK_SECRET])),
      await rejection(async () => verifyWebhook(body, headers, `${WEBHOOK_SECRET}=`)),
    ];
    for (const [index, error] of failures.entries()) {
      assertClean(`failure ${index}`, error);
      for (const text of renderings(error)) assert.ok(!text.includes(signature.slice(3)));
    }
  });

  it('the receiver’s receipts, genuine and refused', async () => {
    const receipts: WebhookReceipt[] = [];
    const receiver = createWebhookReceiver({
      secrets: [WEBHOOK_SECRET],
      onEvent: () => {},
      logger: (receipt) => receipts.push(receipt),
    });
    const deliver = (headers: Record<string, string>, raw = body) =>
      receiver({
        method: 'POST',
        headers,
        ip: '127.0.0.1',
        readBody: async () => Buffer.from(raw),
      });
    const genuine = signedHeaders([WEBHOOK_SECRET], body);
    const answers = [
      await deliver(genuine),
      await deliver(genuine),
      await deliver(signedHeaders([newSecret()], body)),
      await deliver(signedHeaders([WEBHOOK_SECRET], body), `${body}x`),
    ];
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200, 401, 401],
    );
    assert.equal(receipts.length, 4);
    assertClean('receipts', receipts);
    assertClean('answers', answers);
    for (const text of renderings(receipts)) {
      assert.ok(!text.includes(String(genuine['webhook-signature']).slice(3)));
    }
  });
});
