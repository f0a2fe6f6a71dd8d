/**
 * The console as an attacker meets it, without a browser (which would hide most of this): cookie
 * flags, CSRF from another origin or another session, the same form twice, wrong roles, odd paths,
 * bad input, and sessions that end at sign-out, at expiry and when their admin token is revoked.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'node:tls';
import { recordSecret } from '../support/artifacts.ts';
import { CONSOLE_COOKIE, consoleClient, formTokensOf } from '../support/console-client.ts';
import { eventually } from '../support/eventually.ts';
import { newIntegrator } from '../support/fixtures.ts';
import { createHttpsClient } from '../support/https-client.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

async function adminToken(
  server: TestServer,
  role: 'auditor' | 'admin',
): Promise<{ id: string; token: string }> {
  const created = await server.admin('POST', '/admin/v1/admin-tokens', {
    body: { name: `console ${role}`, role },
  });
  assert.equal(created.status, 201, created.text);
  return { id: created.json.id, token: created.json.token };
}

async function integratorCount(server: TestServer): Promise<number> {
  return (await server.admin('GET', '/admin/v1/integrators?limit=200')).json.data.length;
}

/** One request as raw bytes over TLS: paths exactly as typed, no client normalising them. */
async function rawGet(
  server: TestServer,
  path: string,
  cookie: string,
): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(server.adminUrl);
  const socket = connect({ host: hostname, port: Number(port), ca: server.ca, servername: 'localhost' });
  await new Promise((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nCookie: ${CONSOLE_COOKIE}=${cookie}\r\nConnection: close\r\n\r\n`,
  );
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text };
}

describe('console security over HTTPS', () => {
  let server: TestServer;
  let browser: ReturnType<typeof consoleClient>;

  before(async () => {
    server = await startTestServer({ name: 'console-security' });
    browser = consoleClient(server);
    const signedIn = await browser.signIn(server.ownerToken);
    assert.equal(signedIn.status, 303, signedIn.text);
  });
  after(async () => {
    await browser.close();
    await server.close();
  });

  it('signing in sets a __Host- session cookie that script cannot read and other sites cannot send', async () => {
    const fresh = consoleClient(server);
    const response = await fresh.signIn(server.ownerToken);
    assert.equal(response.status, 303);
    assert.equal(response.headers.location, '/console/integrators');
    const cookie = ([] as string[]).concat(response.headers['set-cookie'] ?? []).join('\n');
    assert.match(
      cookie,
      /^__Host-gatehouse_console=[A-Za-z0-9_-]{43}; Path=\/; Secure; HttpOnly; SameSite=Strict$/,
    );
    assert.ok(!cookie.includes(server.ownerToken), 'the admin token never goes to the browser');
    await fresh.close();
  });

  it('a wrong admin token gets the sign-in page again with a 401 and no cookie', async () => {
    const stranger = consoleClient(server);
    const response = await stranger.signIn(`gate_admin_${'x'.repeat(40)}`);
    assert.equal(response.status, 401);
    assert.match(response.text, /not a valid admin token/);
    assert.equal(response.headers['set-cookie'], undefined);
    await stranger.close();
  });

  it('every page is sent with the strict CSP, no inline script or style, and not cached', async () => {
    const integratorId = await newIntegrator(server, { name: 'CSP Corp' });
    for (const path of [
      '/console/sign-in',
      '/console/integrators',
      `/console/integrators/${integratorId}`,
      '/console/keys',
      '/console/audit',
      '/console/audit/verify',
      '/console/webhooks',
      '/console/alerts',
      '/console/security-events',
      '/console/checklist',
      '/console/nowhere',
    ]) {
      const response = await browser.get(path);
      assert.equal(response.headers['content-security-policy'], CSP, path);
      assert.equal(response.headers['x-frame-options'], 'DENY', path);
      assert.equal(response.headers['x-content-type-options'], 'nosniff', path);
      assert.equal(response.headers['cache-control'], 'no-store', path);
      assert.equal(response.headers['referrer-policy'], 'same-origin', path);
      assert.doesNotMatch(response.text, /<script(?![^>]*\ssrc=)[^>]*>/, `${path} has an inline script`);
      assert.doesNotMatch(
        response.text,
        /<style|\sstyle=|\son[a-z]+=/i,
        `${path} has inline style or handlers`,
      );
    }
  });

  it('data from the database is shown as text, never as markup', async () => {
    const id = await newIntegrator(server, { name: '<script>alert(1)</script>' });
    const response = await browser.get(`/console/integrators/${id}`);
    assert.ok(response.text.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(!response.text.includes('<script>alert(1)'));
  });

  it('a form posted from another origin or another site is refused and changes nothing', async () => {
    const before = await integratorCount(server);
    const page = await browser.get('/console/integrators');
    const tokens = formTokensOf(page.text);
    const fromEvil = await browser.post(
      '/console/integrators',
      { ...tokens, name: 'evil' },
      { origin: 'https://evil.example' },
    );
    assert.equal(fromEvil.status, 403);
    assert.match(fromEvil.text, /csrf_refused/);
    const crossSite = await browser.post(
      '/console/integrators',
      { ...formTokensOf((await browser.get('/console/integrators')).text), name: 'evil' },
      { 'sec-fetch-site': 'cross-site' },
    );
    assert.equal(crossSite.status, 403);
    const nullOrigin = await browser.post(
      '/console/integrators',
      { ...formTokensOf((await browser.get('/console/integrators')).text), name: 'evil' },
      { origin: 'null' },
    );
    assert.equal(nullOrigin.status, 403);
    const signInFromEvil = await consoleClient(server).post(
      '/console/sign-in',
      { token: server.ownerToken },
      { origin: 'https://evil.example' },
    );
    assert.equal(signInFromEvil.status, 403, 'login CSRF is refused too');
    const raw = createHttpsClient(server.ca);
    const withoutOrigin = await raw.send(`${server.adminUrl}/console/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: server.ownerToken }).toString(),
    });
    await raw.close();
    assert.equal(withoutOrigin.status, 403, 'a form post with neither Origin nor Sec-Fetch-Site is refused');
    assert.equal(withoutOrigin.headers['set-cookie'], undefined);
    assert.equal(await integratorCount(server), before);
  });

  it('a form without the CSRF token, or with another session’s, is refused', async () => {
    const before = await integratorCount(server);
    const missing = await browser.post('/console/integrators', { _form: 'f'.repeat(22), name: 'no token' });
    assert.equal(missing.status, 403);
    assert.match(missing.text, /CSRF token/);
    const other = consoleClient(server);
    await other.signIn(server.ownerToken);
    const foreign = formTokensOf((await other.get('/console/integrators')).text);
    const withForeign = await browser.post('/console/integrators', { ...foreign, name: 'foreign token' });
    assert.equal(withForeign.status, 403);
    await other.close();
    assert.equal(await integratorCount(server), before);
  });

  it('the same form posted twice acts once', async () => {
    const before = await integratorCount(server);
    const tokens = formTokensOf((await browser.get('/console/integrators')).text);
    const first = await browser.post('/console/integrators', { ...tokens, name: 'Twice Ltd' });
    assert.equal(first.status, 303);
    const second = await browser.post('/console/integrators', { ...tokens, name: 'Twice Ltd' });
    assert.equal(second.status, 409);
    assert.match(second.text, /already sent/);
    assert.equal(await integratorCount(server), before + 1);
  });

  it('bad input is a 4xx page naming the problem, never a 500', async () => {
    const integratorId = await newIntegrator(server, { name: 'Input Corp' });
    const badEnvironment = await browser.submit('/console/keys', {
      integrator_id: integratorId,
      name: 'k',
      environment: 'staging',
    });
    assert.equal(badEnvironment.status, 400);
    assert.match(badEnvironment.text, /environment/);
    const badIp = await browser.submit('/console/keys', {
      integrator_id: integratorId,
      name: 'k',
      environment: 'sandbox',
      allowed_ips: '10.0.0.0/33',
    });
    assert.equal(badIp.status, 400);
    assert.match(badIp.text, /allowed_ips/);
    const badIntegrator = await browser.submit('/console/keys', {
      integrator_id: 'not-a-uuid',
      name: 'k',
      environment: 'sandbox',
    });
    assert.equal(badIntegrator.status, 400);
    const badOverlap = await browser.submit('/console/keys/00000000-0000-7000-8000-000000000000/rotate', {
      overlap_seconds: 'soon',
    });
    assert.equal(badOverlap.status, 400);
    const noName = await browser.submit('/console/integrators', {});
    assert.equal(noName.status, 400, 'a form without its name field');
    assert.match(noName.text, /name/);
    const tokens = new URLSearchParams(formTokensOf((await browser.get('/console/integrators')).text));
    const repeated = await browser.postBody('/console/integrators', `${tokens}&name=a&name=b`);
    assert.equal(repeated.status, 400);
    assert.match(repeated.text, /more than once/);
    const json = await browser.post('/console/integrators', {}, { 'content-type': 'application/json' });
    assert.ok([400, 415].includes(json.status), `JSON to a console form: ${json.status}`);
    const huge = await browser.submit('/console/integrators', { name: 'x'.repeat(70_000) });
    assert.equal(huge.status, 413);
    const unknownId = await browser.get('/console/keys/not-an-id');
    assert.equal(unknownId.status, 404);
    const missingKey = await browser.get('/console/keys/00000000-0000-7000-8000-000000000000');
    assert.equal(missingKey.status, 404);
    assert.match(missingKey.text, /request id <code>[0-9a-f-]{36}<\/code>/);
  });

  it('odd spellings of a console path reach no page they should not', async () => {
    const cookie = browser.cookie as string;
    assert.equal((await rawGet(server, '/Console/integrators', cookie)).status, 404);
    const dotted = await rawGet(server, '/console/../admin/v1/keys', cookie);
    assert.notEqual(dotted.status, 200, 'a session cookie is no admin token');
    const encoded = await rawGet(server, '/console/%2e%2e/admin/v1/keys', cookie);
    assert.notEqual(encoded.status, 200);
    const api = await rawGet(server, '/admin/v1/keys', cookie);
    assert.equal(api.status, 401, 'the admin API takes no session cookie');
  });

  it('an auditor sees no mutation buttons and is refused a mutation by the server', async () => {
    const { token } = await adminToken(server, 'auditor');
    recordSecret(token);
    const auditor = consoleClient(server);
    assert.equal((await auditor.signIn(token)).status, 303);
    const list = await auditor.get('/console/integrators');
    assert.equal(list.status, 200);
    assert.doesNotMatch(list.text, /Create integrator/);
    const tokens = formTokensOf(list.text); // the sign-out form's
    const before = await integratorCount(server);
    const refused = await auditor.post('/console/integrators', { ...tokens, name: 'by auditor' });
    assert.equal(refused.status, 403);
    assert.match(refused.text, /insufficient_role/);
    assert.equal(await integratorCount(server), before);
    await auditor.close();
  });

  it('a session ends at sign-out: the same cookie is refused afterwards', async () => {
    const user = consoleClient(server);
    await user.signIn(server.ownerToken);
    const cookie = user.cookie;
    const page = await user.get('/console/integrators');
    const signOut = await user.post('/console/sign-out', formTokensOf(page.text));
    assert.equal(signOut.status, 303);
    assert.match(([] as string[]).concat(signOut.headers['set-cookie'] ?? []).join(), /Max-Age=0/);
    user.cookie = cookie;
    const after = await user.get('/console/integrators');
    assert.equal(after.status, 303);
    assert.equal(after.headers.location, '/console/sign-in?ended=1');
    await user.close();
  });

  it('revoking the admin token ends the sessions signed in with it', async () => {
    const { id, token } = await adminToken(server, 'admin');
    recordSecret(token);
    const user = consoleClient(server);
    await user.signIn(token);
    assert.equal((await user.get('/console/integrators')).status, 200);
    assert.equal(
      (await server.admin('POST', `/admin/v1/admin-tokens/${id}/revoke`, { body: {} })).status,
      200,
    );
    const after = await user.get('/console/integrators');
    assert.equal(after.status, 303);
    await user.close();
  });

  it('the log holds neither the admin token, nor a session id, nor a CSRF token', async () => {
    const tokens = formTokensOf((await browser.get('/console/integrators')).text);
    const log = readFileSync(server.logPath, 'utf8');
    assert.ok(!log.includes(server.ownerToken));
    assert.ok(!log.includes(browser.cookie as string));
    assert.ok(!log.includes(tokens._csrf));
  });
});

describe('console sessions expire, and the verify button names a broken link', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer({
      name: 'console-expiry',
      env: { GATEHOUSE_CONSOLE_IDLE_TIMEOUT: '1s', GATEHOUSE_CONSOLE_SESSION_LIFETIME: '3s' },
    });
  });
  after(() => server.close());

  it('a session left idle past the idle timeout is refused', async () => {
    const user = consoleClient(server);
    await user.signIn(server.ownerToken);
    assert.equal((await user.get('/console/integrators')).status, 200);
    await sleep(1200);
    const after = await user.get('/console/integrators');
    assert.equal(after.status, 303);
    assert.equal(after.headers.location, '/console/sign-in?ended=1');
    await user.close();
  });

  it('a session in constant use still ends at its absolute lifetime', async () => {
    const user = consoleClient(server);
    await user.signIn(server.ownerToken);
    const started = Date.now();
    await eventually(async () => (await user.get('/console/integrators')).status === 303, {
      timeoutMs: 10_000,
      intervalMs: 100,
      what: 'the session to end',
    });
    assert.ok(Date.now() - started >= 2900, 'not before its lifetime');
    await user.close();
  });

  it('the audit verify page names the first broken link of an edited chain', async () => {
    const user = consoleClient(server);
    await user.signIn(server.ownerToken);
    assert.match((await user.get('/console/audit/verify')).text, /The audit chain verifies/);
    await server.gatehouse.services.database.db
      .updateTable('audit_log')
      .set({ actor_name: 'mallory' })
      .where('seq', '=', 2)
      .execute();
    const broken = await user.get('/console/audit/verify');
    assert.equal(broken.status, 200);
    assert.match(broken.text, /The audit chain is broken/);
    assert.match(broken.text, /First broken link: entry <strong>2<\/strong>.*changed after it was written/s);
    await user.close();
  });
});
