/**
 * An outside review of the console (issue 20): what an attacker or a careless client can send that
 * the first security tests did not try. Each `it` names what it attacks; the ones that found a
 * problem say so in a comment with the fix's commit.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { connect } from 'node:tls';
import { recordSecret } from '../support/artifacts.ts';
import { consoleClient } from '../support/console-client.ts';
import { eventually } from '../support/eventually.ts';
import { newIntegrator, newKey } from '../support/fixtures.ts';
import { createTestPostgres, POSTGRES_SKIP_MESSAGE } from '../support/postgres.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

const NIL = '00000000-0000-7000-8000-000000000000';

/** Every console form the server takes (`scope.post` in `src/console/`), with a plausible body. */
function consolePosts(ids: {
  integrator: string;
  key: string;
  client: string;
  delivery: string;
  alert: string;
}) {
  return [
    ['/console/integrators', { name: 'by auditor' }],
    [`/console/integrators/${ids.integrator}/disable`, {}],
    [`/console/integrators/${ids.integrator}/enable`, {}],
    ['/console/keys', { integrator_id: ids.integrator, name: 'k', environment: 'sandbox' }],
    [`/console/keys/${ids.key}/rotate`, { overlap_seconds: '0' }],
    [`/console/keys/${ids.key}/revoke`, {}],
    ['/console/oauth-clients', { integrator_id: ids.integrator, name: 'c', environment: 'sandbox' }],
    [`/console/oauth-clients/${ids.client}/rotate`, { overlap_seconds: '0' }],
    [`/console/oauth-clients/${ids.client}/revoke`, {}],
    [`/console/deliveries/${ids.delivery}/replay`, {}],
    ['/console/event-types', { name: 'auditor.made', schema: '{"type":"object"}' }],
    [`/console/alerts/${ids.alert}/acknowledge`, {}],
  ] as const;
}

async function adminToken(server: TestServer, role: 'auditor' | 'admin', name = `review ${role}`) {
  const created = await server.admin('POST', '/admin/v1/admin-tokens', { body: { name, role } });
  assert.equal(created.status, 201, created.text);
  recordSecret(created.json.token);
  return { id: created.json.id as string, token: created.json.token as string };
}

/** Markup a hostile value would open if it were not escaped. */
const INJECTED = /<x-inj|<img\b|<script>alert|javascript:/i;
const HOSTILE = `"'><x-inj>\`</pre></textarea><img src=x>`;

describe('console review: roles, notices, hostile data', () => {
  let server: TestServer;
  let receiver: WebhookReceiver;
  let owner: ReturnType<typeof consoleClient>;
  const ids = { integrator: '', key: '', client: '', delivery: '', alert: NIL };

  before(async () => {
    receiver = await startWebhookReceiver();
    server = await startTestServer({
      name: 'console-review',
      env: {
        GATEHOUSE_WEBHOOK_ALLOW_PRIVATE: '1',
        GATEHOUSE_WEBHOOK_CA_FILE: receiver.caFile,
        GATEHOUSE_WEBHOOK_RETRY_SCHEDULE: '0',
      },
    });
    owner = consoleClient(server);
    assert.equal((await owner.signIn(server.ownerToken)).status, 303);

    // Every field an integrator or an admin can set, set to markup.
    ids.integrator = await newIntegrator(server, { name: `=HYPERLINK("https://evil.example")${HOSTILE}` });
    const key = await newKey(server, {
      integrator_id: ids.integrator,
      name: `+cmd|' /C calc'!A0 ${HOSTILE}`,
      owner: `@SUM(1+1)\r\n${HOSTILE},x`,
    });
    ids.key = key.id;
    const client = await server.admin('POST', '/admin/v1/clients', {
      body: { integrator_id: ids.integrator, name: `-2+3 ${HOSTILE}`, environment: 'sandbox' },
    });
    assert.equal(client.status, 201, client.text);
    recordSecret(client.json.client_secret);
    ids.client = client.json.id;
    const type = await server.admin('POST', '/admin/v1/event-types', {
      body: {
        name: 'order.paid',
        description: HOSTILE,
        schema: { type: 'object', description: HOSTILE, properties: { [HOSTILE]: { type: 'string' } } },
      },
    });
    assert.equal(type.status, 201, type.text);
    receiver.reply = () => ({ status: 500, body: `${HOSTILE} <script>alert(1)</script>` });
    const endpoint = await server.admin('POST', '/admin/v1/webhook-endpoints', {
      body: {
        integrator_id: ids.integrator,
        environment: 'sandbox',
        url: `${receiver.url}/hooks/"'><x-inj>?q="'><x-inj>`,
        event_types: ['order.paid'],
        description: HOSTILE,
      },
    });
    assert.equal(endpoint.status, 201, endpoint.text);
    recordSecret(endpoint.json.secret);
    const published = await server.admin('POST', '/admin/v1/events', {
      body: { type: 'order.paid', integrator_id: ids.integrator, environment: 'sandbox', data: {} },
    });
    assert.equal(published.status, 201, published.text);
    ids.delivery = await eventually(
      async () => {
        const listed = await server.admin(
          'GET',
          `/admin/v1/webhook-deliveries?endpoint_id=${endpoint.json.id}`,
        );
        const first = listed.json.data[0];
        return first?.status === 'failed' ? (first.id as string) : undefined;
      },
      { what: 'the delivery to the hostile receiver to fail' },
    );
    const revoked = await newKey(server, { integrator_id: ids.integrator, name: 'to revoke' });
    const revoke = await server.admin('POST', `/admin/v1/keys/${revoked.id}/revoke`, {
      body: { reason: HOSTILE },
    });
    assert.equal(revoke.status, 200, revoke.text);
    // A hostile admin token name: the audit log's actor, "Signed in as", the access review.
    const hostileAdmin = await adminToken(server, 'admin', `=cmd ${HOSTILE}`);
    const hostile = consoleClient(server);
    assert.equal((await hostile.signIn(hostileAdmin.token)).status, 303);
    assert.equal((await hostile.submit('/console/integrators', { name: HOSTILE })).status, 303);
    await hostile.close();
  });
  after(async () => {
    await owner?.close();
    await server?.close();
    await receiver?.close();
  });

  it('an auditor is refused every console form the server takes, and nothing changes', async () => {
    const auditorToken = await adminToken(server, 'auditor');
    const auditor = consoleClient(server);
    assert.equal((await auditor.signIn(auditorToken.token)).status, 303);
    const auditBefore = (await server.admin('GET', '/admin/v1/audit?limit=1')).json.data[0].seq;
    for (const [path, fields] of consolePosts(ids)) {
      const refused = await auditor.submit(path, fields);
      assert.equal(refused.status, 403, `${path}: ${refused.status}`);
      assert.match(refused.text, /insufficient_role/, path);
    }
    // The sign-out form is the only one an auditor may send.
    const auditAfter = (await server.admin('GET', '/admin/v1/audit?limit=1')).json.data[0].seq;
    assert.equal(auditAfter, auditBefore, 'no audited change was made');
    await auditor.close();
  });

  it('a notice name that is an Object.prototype property shows no notice', async () => {
    // Found in review: `NOTICES[code]` read inherited properties, so `?notice=constructor` printed
    // "function Object() { [native code] }" as a status message on the page.
    for (const notice of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const response = await owner.get(`/console/integrators?notice=${notice}`);
      assert.equal(response.status, 200);
      assert.ok(!response.text.includes('class="notice"'), `?notice=${notice} shows a notice`);
    }
  });

  it('every stored field is shown as text on every page, never as markup or a link', async () => {
    const pages = [
      '/console/integrators',
      `/console/integrators/${ids.integrator}`,
      `/console/integrators?q=${encodeURIComponent(HOSTILE)}`,
      '/console/keys',
      `/console/keys/${ids.key}`,
      '/console/keys?status=revoked',
      '/console/oauth-clients',
      `/console/oauth-clients/${ids.client}`,
      `/console/oauth-clients?integrator_id=${ids.integrator}`,
      '/console/webhooks',
      `/console/deliveries/${ids.delivery}`,
      '/console/event-types',
      '/console/audit',
      `/console/audit?action=${encodeURIComponent(HOSTILE)}`,
      '/console/alerts',
      '/console/security-events',
      '/console/access-review',
      '/console/checklist',
    ];
    const webhooks = await owner.get('/console/webhooks');
    const endpointPage = /href="(\/console\/webhooks\/[0-9a-f-]{36})"/.exec(webhooks.text)?.[1];
    assert.ok(endpointPage, 'the webhooks page links the endpoint');
    pages.push(endpointPage);
    const delivery = await owner.get(`/console/deliveries/${ids.delivery}`);
    assert.match(
      delivery.text,
      /&lt;script&gt;alert\(1\)&lt;\/script&gt;/,
      'the receiver’s excerpt is shown',
    );
    for (const path of pages) {
      const response = await owner.get(path);
      assert.equal(response.status, 200, `${path}: ${response.status}`);
      const markup = response.text.match(INJECTED);
      assert.ok(markup === null, `${path} has unescaped markup: ${markup?.[0]}`);
      for (const [, href] of response.text.matchAll(/\shref="([^"]*)"/g))
        assert.match(
          href as string,
          /^\/console(\/|$|\?)|^#main$/,
          `${path} links outside the console: ${href}`,
        );
    }
  });

  it('the CSV download neither runs formulas nor splits cells, and names a fixed file', async () => {
    const response = await owner.get('/console/access-review.csv');
    assert.equal(response.status, 200);
    assert.match(
      String(response.headers['content-disposition']),
      /^attachment; filename="gatehouse-access-review-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    assert.match(String(response.headers['content-type']), /^text\/csv/);
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    const rows = parseCsv(response.text);
    const width = (rows[0] as string[]).length;
    for (const row of rows) {
      assert.equal(row.length, width, `a row of ${row.length} cells: ${JSON.stringify(row)}`);
      for (const cell of row)
        assert.doesNotMatch(cell, /^[=+\-@\t\r]/, `a cell a spreadsheet would run: ${cell}`);
    }
    assert.ok(
      rows.some((row) => row.some((cell) => cell.startsWith(`'=HYPERLINK`))),
      'the formula-shaped integrator name is there, defused',
    );
  });

  it('a secret shown once is in no audit entry, session row, later page or log line', async () => {
    const created = await owner.submit('/console/keys', {
      integrator_id: ids.integrator,
      name: 'once',
      environment: 'sandbox',
    });
    assert.equal(created.status, 201);
    assert.equal(created.headers['cache-control'], 'no-store');
    const secret = recordSecret(/<code id="secret"[^>]*>([^<]+)<\/code>/.exec(created.text)?.[1] ?? '');
    assert.match(secret, /^gate_test_/);
    assert.ok(!/<title>[^<]*gate_test_/.test(created.text), 'not in the title');
    const audit = await server.admin('GET', '/admin/v1/audit?limit=200');
    assert.ok(!audit.text.includes(secret), 'the audit log of the console’s create');
    assert.ok(!(await owner.get('/console/audit')).text.includes(secret));
    const sessions = await server.gatehouse.services.database.db
      .selectFrom('console_sessions')
      .selectAll()
      .execute();
    assert.ok(!JSON.stringify(sessions).includes(owner.cookie as string), 'sessions are kept as hashes');
    assert.ok(!readFileSync(server.logPath, 'utf8').includes(secret), 'nor the log');
  });

  // Found in review: the admin app asks for `requestTimeout: 30_000`, but Fastify sets it on the
  // server after Node built it with a 60 s headers timeout, and Node then cuts a request only after
  // 60 s plus its 30 s check interval: the sign-in form (no session needed) held for ~90 s.
  it('a sign-in form whose body trickles in is cut at the 30 s request timeout', async () => {
    const { hostname, port } = new URL(server.adminUrl);
    const socket = connect({ host: hostname, port: Number(port), ca: server.ca, servername: 'localhost' });
    await new Promise((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    socket.write(
      `POST /console/sign-in HTTP/1.1\r\nHost: ${hostname}:${port}\r\nOrigin: https://${hostname}:${port}\r\n` +
        'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 60000\r\n\r\ntoken=',
    );
    const started = performance.now();
    const drip = setInterval(() => socket.writable && socket.write('a'), 2000);
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
    });
    await new Promise((resolve) => {
      socket.once('close', resolve).once('error', resolve);
      setTimeout(resolve, 45_000);
    });
    clearInterval(drip);
    socket.destroy();
    const elapsed = Math.round(performance.now() - started);
    assert.ok(elapsed < 40_000, `the connection was held ${elapsed} ms`);
    assert.match(answer, /^HTTP\/1\.1 408 /);
  });

  it('the log of this run holds no stack trace sent to the browser, and no page showed one', async () => {
    const log = readFileSync(server.logPath, 'utf8');
    assert.doesNotMatch(log, /"console request failed"/, 'no console request failed unexpectedly');
  });
});

/** RFC 4180: quoted fields with doubled quotes and line breaks, CRLF between records. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  return rows;
}

const postgres = await createTestPostgres();
await postgres?.drop();

describe('console review on PostgreSQL: a NUL character', {
  skip: postgres ? false : POSTGRES_SKIP_MESSAGE,
}, () => {
  let server: TestServer;
  let owner: ReturnType<typeof consoleClient>;
  let integratorId: string;

  before(async () => {
    server = await startTestServer({ name: 'console-review-pg', database: 'postgres' });
    owner = consoleClient(server);
    assert.equal((await owner.signIn(server.ownerToken)).status, 303);
    integratorId = await newIntegrator(server, { name: 'NUL Corp' });
  });
  after(async () => {
    await owner?.close();
    await server?.close();
  });

  // Found in review: PostgreSQL refuses U+0000 in text ("invalid byte sequence for encoding UTF8:
  // 0x00"), and the console passed it through from the search box, the audit filter and every form
  // field, so any signed-in auditor got a 500 (and the log an error with a stack) for `?q=%00`.
  it('in a search or filter is a 400 page, never a 500', async () => {
    for (const path of ['/console/integrators?q=a%00b', '/console/audit?action=key.%00']) {
      const response = await owner.get(path);
      assert.equal(response.status, 400, `${path}: ${response.status}`);
      assert.match(response.text, /validation_failed/, path);
    }
  });

  it('in a form field is a 400 page naming the field, and nothing is stored', async () => {
    const key = await newKey(server, { integrator_id: integratorId });
    const forms = [
      ['/console/integrators', { name: 'a\u0000b' }, 'name'],
      ['/console/keys', { integrator_id: integratorId, name: 'k\u0000', environment: 'sandbox' }, 'name'],
      [
        '/console/keys',
        { integrator_id: integratorId, name: 'k', owner: '\u0000', environment: 'sandbox' },
        'owner',
      ],
      [
        '/console/oauth-clients',
        { integrator_id: integratorId, name: 'c\u0000', environment: 'sandbox' },
        'name',
      ],
      ['/console/event-types', { name: 'a.b', description: 'd\u0000', schema: '{}' }, 'description'],
      [`/console/keys/${key.id}/revoke`, { reason: 'r\u0000' }, 'reason'],
    ] as const;
    for (const [path, fields, field] of forms) {
      const response = await owner.submit(path, fields);
      assert.equal(response.status, 400, `${path} ${field}: ${response.status}`);
      assert.match(response.text, /validation_failed/, path);
      assert.match(response.text, new RegExp(field), `${path} names ${field}`);
    }
    assert.equal((await server.admin('GET', `/admin/v1/keys/${key.id}`)).json.status, 'active');
    const log = readFileSync(server.logPath, 'utf8');
    assert.doesNotMatch(log, /invalid byte sequence/);
  });

  it('a sign-in token with a NUL is refused as invalid, not a 500', async () => {
    const stranger = consoleClient(server);
    const response = await stranger.post('/console/sign-in', { token: `gate_admin_\u0000${'x'.repeat(40)}` });
    assert.ok([400, 401].includes(response.status), `sign-in: ${response.status}`);
    await stranger.close();
  });
});
