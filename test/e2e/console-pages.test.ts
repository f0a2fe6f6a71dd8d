/**
 * The console's OAuth clients, event types and access review pages in a real browser (Debian's
 * Chromium driven by playwright-core): a client's secret is shown once and then works at
 * `/oauth/token` until the client is revoked; an event type is declared with its schema; the access
 * review downloads as the CLI's CSV; an auditor sees no mutation control and a forged form is
 * refused. Every page is screenshotted and checked with axe-core.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ACCESS_CSV_COLUMNS } from '../../src/access-review/access-csv.ts';
import { recordSecret } from '../support/artifacts.ts';
import {
  CHROMIUM_SKIP,
  chromiumMissing,
  launchChromium,
  screenshot,
  seriousViolations,
  skipWithoutChromium,
  spkiPinOf,
} from '../support/console-browser.ts';
import { consoleClient } from '../support/console-client.ts';
import { parseCsv } from '../support/rfc4180.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

describe('the console’s OAuth clients, event types and access review in Chromium', {
  skip: skipWithoutChromium,
}, () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let integratorId = '';
  let clientUrl = '';
  /** Every page the operator saw, for the accessibility pass. */
  const visited = new Map<string, string>();
  const secretsShown: string[] = [];

  const see = async (name: string) => {
    visited.set(name, page.url());
    await screenshot(page, name);
  };
  const tokenStatus = async (clientId: string, clientSecret: string) => {
    const response = await server.data('/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
      }).toString(),
    });
    if (response.status === 200) recordSecret(response.json.access_token);
    return { status: response.status, error: response.json?.error as string | undefined };
  };

  before(async () => {
    assert.ok(!chromiumMissing, CHROMIUM_SKIP);
    server = await startTestServer({ name: 'console-pages' });
    browser = await launchChromium(spkiPinOf(server.ca));
    context = await browser.newContext({ viewport: { width: 1366, height: 800 } });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    await page.goto(`${server.adminUrl}/console/sign-in`);
    await page.getByLabel('Admin token').fill(server.ownerToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/console/integrators');
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('the OAuth clients page says to create an integrator first while there is none', async () => {
    await page.getByRole('link', { name: 'OAuth clients' }).click();
    await page.waitForURL('**/console/oauth-clients');
    assert.match(await page.locator('.empty').innerText(), /create an integrator first/);
    assert.equal(await page.getByRole('button', { name: 'Create client' }).count(), 0);
    await see('oauth-clients-no-integrator');
    const created = await server.admin('POST', '/admin/v1/integrators', { body: { name: 'Acme Corp' } });
    assert.equal(created.status, 201, created.text);
    integratorId = created.json.id;
    await page.reload();
    assert.match(await page.locator('.empty').innerText(), /Create one below/);
    await see('oauth-clients-empty');
  });

  it('creates a client whose secret is shown exactly once and works at /oauth/token until it is revoked', async () => {
    await page.getByLabel('Integrator', { exact: true }).last().selectOption(integratorId);
    await page.getByLabel(/^Client name/).fill('reporting job');
    await page.getByLabel(/^Scopes it may request/).fill('orders:read reports:read');
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Create client' }).click(),
    ]);
    assert.equal(answer.status(), 201);
    assert.equal(answer.headers()['cache-control'], 'no-store');
    await page.waitForSelector('#secret');
    assert.equal(new URL(page.url()).pathname, '/console/oauth-clients', 'answered by the POST itself');
    const secret = recordSecret((await page.locator('#secret').innerText()).trim());
    secretsShown.push(secret);
    assert.match(secret, /_cstest_/);
    assert.ok(!page.url().includes(secret), 'the secret is in no URL');
    assert.ok(!(await page.title()).includes(secret), 'nor in the title');
    const clientId = (await page.locator('.secret-box .facts code').first().innerText()).trim();
    assert.equal(await page.getByRole('button', { name: 'Copy secret' }).count(), 1);
    await screenshot(page, 'oauth-client-created');
    assert.deepEqual(await tokenStatus(clientId, secret), { status: 200, error: undefined });

    await page.getByRole('link', { name: /I have stored it/ }).click();
    await page.waitForURL(/\/console\/oauth-clients\/[0-9a-f-]{36}$/);
    clientUrl = page.url();
    assert.ok(!(await page.content()).includes(secret), 'the client page does not show the secret');
    const facts = await page.locator('.facts').innerText();
    assert.match(facts, /sandbox[\s\S]*Acme Corp[\s\S]*orders:read reports:read/);
    assert.doesNotMatch(facts, /Last used\s+—/, 'the token request counts as a use');
    await see('oauth-client');

    await page.getByLabel('Keep the current secret working for').selectOption({ label: '1 hour' });
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.waitForSelector('#secret');
    const rotated = recordSecret((await page.locator('#secret').innerText()).trim());
    secretsShown.push(rotated);
    assert.notEqual(rotated, secret);
    await screenshot(page, 'oauth-client-rotated');
    assert.equal((await tokenStatus(clientId, rotated)).status, 200);
    assert.equal(
      (await tokenStatus(clientId, secret)).status,
      200,
      'the old secret works during the overlap',
    );

    await page.goto(clientUrl);
    assert.equal(await page.locator('.facts li').count(), 2, 'both secrets are listed while they overlap');
    page.once('dialog', (dialog) => dialog.accept());
    await page.getByRole('button', { name: 'Revoke client' }).click();
    await page.waitForURL(/notice=oauth_client_revoked$/);
    assert.match(await page.locator('.facts').innerText(), /revoked/);
    assert.equal(await page.getByRole('button', { name: /Rotate|Revoke/ }).count(), 0);
    await see('oauth-client-revoked');
    for (const s of [secret, rotated])
      assert.deepEqual(await tokenStatus(clientId, s), { status: 401, error: 'invalid_client' });
  });

  it('lists clients with scopes, environment and last use, filtered by integrator', async () => {
    await server.admin('POST', '/admin/v1/integrators', { body: { name: 'Other Inc' } });
    await page.goto(`${server.adminUrl}/console/oauth-clients`);
    assert.match(
      await page.locator('tbody').innerText(),
      /reporting job\s+Acme Corp\s+sandbox\s+revoked\s+orders:read reports:read\s+\d{4}-/,
    );
    await page.getByLabel('Integrator', { exact: true }).first().selectOption({ label: 'Other Inc' });
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/integrator_id=/);
    assert.match(await page.locator('.empty').innerText(), /This integrator has no OAuth clients/);
    await page.getByLabel('Integrator', { exact: true }).first().selectOption(integratorId);
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(new RegExp(`integrator_id=${integratorId}`));
    assert.equal(await page.locator('tbody tr').count(), 1);
    await see('oauth-clients');
  });

  it('lists the event catalog and declares an event type with its schema; a schema that is not JSON is named', async () => {
    await page.getByRole('link', { name: 'Event types' }).click();
    await page.waitForURL('**/console/event-types');
    await see('event-types');
    await page.getByLabel(/^Name \(dotted/).fill('invoice.paid');
    await page.getByLabel(/^Description/).fill('An invoice was paid in full');
    await page.getByLabel(/^JSON Schema/).fill('{ "type": "object", "required": ["invoice_id"');
    await page.getByRole('button', { name: 'Create event type' }).click();
    await page.waitForLoadState('load');
    const problem = await page.locator('.problem').innerText();
    assert.match(problem, /schema is not valid JSON/);
    assert.match(problem, /request id \S+/);
    await see('event-type-invalid');

    await page.goto(`${server.adminUrl}/console/event-types`);
    await page.getByLabel(/^Name \(dotted/).fill('invoice.paid');
    await page.getByLabel(/^Description/).fill('An invoice was paid in full');
    await page
      .getByLabel(/^JSON Schema/)
      .fill(
        '{ "type": "object", "required": ["invoice_id"], "properties": { "invoice_id": { "type": "string" } } }',
      );
    await page.getByRole('button', { name: 'Create event type' }).click();
    await page.waitForURL(/notice=event_type_created$/);
    const row = page.locator('tr', { hasText: 'invoice.paid' });
    assert.match(await row.innerText(), /invoice\.paid\s+An invoice was paid in full\s+1\s+\d{4}-/);
    await row.getByText('Schema of invoice.paid').click();
    assert.match(await row.locator('pre').innerText(), /"invoice_id"/);
    await see('event-types-created');
    const published = await server.admin('POST', '/admin/v1/events', {
      body: { type: 'invoice.paid', integrator_id: integratorId, environment: 'sandbox', data: {} },
    });
    assert.equal(published.status, 400, 'the schema declared in the console applies to publishing');

    await page.getByLabel(/^Name \(dotted/).fill('invoice.paid');
    await page.getByRole('button', { name: 'Create event type' }).click();
    await page.waitForLoadState('load');
    assert.match(await page.locator('.problem').innerText(), /exists already[\s\S]*name[\s\S]*is taken/);
  });

  it('an auditor sees no mutation control, and forged create, rotate and revoke forms are refused', async () => {
    const created = await server.admin('POST', '/admin/v1/admin-tokens', {
      body: { name: 'auditor of the pages', role: 'auditor' },
    });
    const token = recordSecret(created.json.token);
    const live = await server.admin('POST', '/admin/v1/clients', {
      body: { integrator_id: integratorId, environment: 'sandbox', name: 'still live' },
    });
    assert.equal(live.status, 201, live.text);
    recordSecret(live.json.client_secret);

    const auditorContext = await browser.newContext();
    const auditor = await auditorContext.newPage();
    await auditor.goto(`${server.adminUrl}/console/sign-in`);
    await auditor.getByLabel('Admin token').fill(token);
    await auditor.getByRole('button', { name: 'Sign in' }).click();
    await auditor.waitForURL('**/console/integrators');
    await auditor.goto(`${server.adminUrl}/console/oauth-clients`);
    assert.equal(await auditor.locator('form[method=post]:not(.sign-out)').count(), 0);
    await auditor.goto(`${server.adminUrl}/console/oauth-clients/${live.json.id}`);
    assert.equal(await auditor.locator('form[method=post]:not(.sign-out)').count(), 0);
    await screenshot(auditor, 'oauth-client-auditor');
    await auditor.goto(`${server.adminUrl}/console/event-types`);
    assert.equal(await auditor.locator('form[method=post]:not(.sign-out)').count(), 0);
    assert.equal(await auditor.locator('tbody tr', { hasText: 'invoice.paid' }).count(), 1);
    await auditor.goto(`${server.adminUrl}/console/access-review`);
    assert.match(await auditor.locator('h1').innerText(), /Access review/, 'an auditor reads the review');
    await auditorContext.close();

    const forger = consoleClient(server);
    try {
      await forger.signIn(token);
      for (const [path, fields] of [
        ['/console/oauth-clients', { integrator_id: integratorId, name: 'forged', environment: 'sandbox' }],
        [`/console/oauth-clients/${live.json.id}/rotate`, { overlap_seconds: '0' }],
        [`/console/oauth-clients/${live.json.id}/revoke`, {}],
        ['/console/event-types', { name: 'forged.type', schema: '{}' }],
      ] as const) {
        const refused = await forger.submit(path, fields);
        assert.equal(refused.status, 403, `${path}: ${refused.text}`);
        assert.match(refused.text, /needs the admin role/);
        assert.match(refused.text, /request id <code>[^<]+<\/code>/);
      }
    } finally {
      forger.close();
    }
    const after = await server.admin('GET', `/admin/v1/clients/${live.json.id}`);
    assert.equal(after.json.status, 'active');
    assert.equal(after.json.secrets.length, 1, 'no rotation happened');
    const listed = await server.admin('GET', `/admin/v1/clients?integrator_id=${integratorId}`);
    assert.ok(!listed.json.data.some((c: { name: string }) => c.name === 'forged'));
    const types = await server.admin('GET', '/admin/v1/event-types?name=forged.type');
    assert.equal(types.json.data.length, 0);
  });

  it('shows the access review as a table and downloads it as the CLI’s CSV', async () => {
    await page.getByRole('link', { name: 'Access review' }).click();
    await page.waitForURL('**/console/access-review');
    const credentials = await page.locator('table').first().innerText();
    assert.match(credentials, /still live\s+OAuth client\s+Acme Corp\s+sandbox/);
    assert.doesNotMatch(credentials, /reporting job/, 'a revoked client can no longer be used');
    assert.match(await page.locator('table').nth(1).innerText(), /auditor of the pages\s+auditor/);
    await see('access-review');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download as CSV' }).click(),
    ]);
    assert.match(download.suggestedFilename(), /^gatehouse-access-review-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = readFileSync(await download.path(), 'utf8');
    const [header, ...records] = parseCsv(csv) as [string[], ...string[][]];
    assert.deepEqual(header, [...ACCESS_CSV_COLUMNS]);
    const rows = records.map((record) => Object.fromEntries(header.map((column, i) => [column, record[i]])));
    const report = (await server.admin('GET', '/admin/v1/reports/access-review')).json;
    assert.deepEqual(
      rows.map((row) => row.id),
      [...report.data, ...report.admin_tokens].map((entry: { id: string }) => entry.id),
      'one row per credential, then one per admin token, as the API reports them',
    );
    const live = rows.find((row) => row.name === 'still live');
    assert.equal(live?.credential_type, 'oauth_client');
    assert.equal(live?.integrator_name, 'Acme Corp');
    assert.equal(live?.unused, 'false');
    assert.equal(rows.find((row) => row.name === 'auditor of the pages')?.role, 'auditor');

    const client = consoleClient(server);
    try {
      await client.signIn(server.ownerToken);
      const direct = await client.get('/console/access-review.csv');
      assert.equal(direct.status, 200);
      assert.equal(direct.headers['content-type'], 'text/csv; charset=utf-8');
      assert.match(
        String(direct.headers['content-disposition']),
        /^attachment; filename="gatehouse-access-review-/,
      );
      assert.equal(direct.headers['cache-control'], 'no-store');
      assert.deepEqual(parseCsv(direct.text)[0], [...ACCESS_CSV_COLUMNS]);
    } finally {
      client.close();
    }
  });

  it('has no serious or critical accessibility violation on any new page', async () => {
    const a11y = await browser.newContext({ bypassCSP: true });
    const checker = await a11y.newPage();
    await checker.goto(`${server.adminUrl}/console/sign-in`);
    await checker.getByLabel('Admin token').fill(server.ownerToken);
    await checker.getByRole('button', { name: 'Sign in' }).click();
    await checker.waitForURL('**/console/integrators');
    const problems: string[] = [];
    for (const [name, url] of visited) {
      await checker.goto(url);
      problems.push(...(await seriousViolations(checker)).map((v) => `${name}: ${v}`));
    }
    await checker.goto(`${server.adminUrl}/console/oauth-clients`);
    await checker.getByLabel(/^Client name/).fill('a11y client');
    await checker.getByRole('button', { name: 'Create client' }).click();
    await checker.waitForSelector('#secret');
    recordSecret((await checker.locator('#secret').innerText()).trim());
    problems.push(...(await seriousViolations(checker)).map((v) => `oauth-client-created: ${v}`));
    assert.deepEqual(problems, []);
    await a11y.close();
  });
});
