/**
 * The console in a real browser (Debian's Chromium driven by playwright-core): an operator signs
 * in, creates an integrator and a key and sees its secret once, rotates and revokes it (and the
 * gateway then refuses it), replays a failed webhook delivery, verifies the audit log, and an
 * auditor is refused a mutation. Every page is screenshotted and checked with axe-core.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
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
import { eventually } from '../support/eventually.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { type RecordingUpstream, startRecordingUpstream } from '../support/upstream.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

// Code given to page.evaluate runs in the page; tsconfig has no DOM library, so its globals are declared here.
// biome-ignore lint/suspicious/noExplicitAny: the page's document, typed by the browser, not by this file
declare const document: any;

const GATEWAY_FILE = `
routes:
  - method: GET
    path: /v1/orders
    scopes: [orders:read]
`;

describe('the console in Chromium', { skip: skipWithoutChromium }, () => {
  let server: TestServer;
  let upstream: RecordingUpstream;
  let receiver: WebhookReceiver;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Every page the operator saw, for the accessibility pass. */
  const visited = new Map<string, string>();
  const secretsShown: string[] = [];
  let keyUrl = '';

  const see = async (name: string) => {
    visited.set(name, page.url());
    await screenshot(page, name);
  };
  const gatewayStatus = async (secret: string) =>
    (await server.data('/v1/orders', { headers: { 'x-api-key': secret } })).status;

  before(async () => {
    assert.ok(!chromiumMissing, CHROMIUM_SKIP);
    upstream = await startRecordingUpstream('sandbox');
    receiver = await startWebhookReceiver();
    server = await startTestServer({
      name: 'console-browser',
      gatewayFile: GATEWAY_FILE,
      env: {
        GATEHOUSE_UPSTREAM_SANDBOX: upstream.url,
        GATEHOUSE_WEBHOOK_ALLOW_PRIVATE: '1',
        GATEHOUSE_WEBHOOK_CA_FILE: receiver.caFile,
        GATEHOUSE_WEBHOOK_RETRY_SCHEDULE: '0',
      },
    });
    browser = await launchChromium(spkiPinOf(server.ca));
    context = await browser.newContext({ viewport: { width: 1366, height: 800 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.adminUrl });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await upstream?.close();
    await receiver?.close();
  });

  it('signs in with the owner token and lands on the integrators, whose empty state says what to do', async () => {
    await page.goto(`${server.adminUrl}/console`);
    assert.equal(new URL(page.url()).pathname, '/console/sign-in');
    await see('sign-in');
    await page.getByLabel('Admin token').fill(server.ownerToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/console/integrators');
    assert.match(await page.locator('.empty').innerText(), /Create the first one/);
    await see('integrators-empty');
  });

  it('creates an integrator, then a key whose secret is shown exactly once and copies', async () => {
    await page.getByLabel('Name', { exact: true }).fill('Acme Corp');
    await page.getByRole('button', { name: 'Create integrator' }).click();
    await page.waitForURL(/\/console\/integrators\/[0-9a-f-]{36}\?notice=integrator_created$/);
    await see('integrator');

    await page.getByLabel(/^Name \(the application/).fill('billing sync');
    await page.getByLabel('Scopes').fill('orders:read');
    await page.getByLabel('Allowed IP addresses').fill('127.0.0.1\n::1');
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.waitForSelector('#secret');
    const secret = recordSecret((await page.locator('#secret').innerText()).trim());
    secretsShown.push(secret);
    assert.match(secret, /^gate_test_/);
    assert.ok(!page.url().includes(secret), 'the secret is in no URL');
    assert.ok(!(await page.title()).includes(secret), 'nor in the title');
    await page.getByRole('button', { name: 'Copy secret' }).click();
    await page.getByText('Copied.').waitFor();
    assert.equal(
      await page.evaluate(() =>
        (navigator as unknown as { clipboard: { readText(): Promise<string> } }).clipboard.readText(),
      ),
      secret,
    );
    await screenshot(page, 'key-created');
    assert.equal(await gatewayStatus(secret), 200, 'the new key works on the gateway');

    await page.getByRole('link', { name: /I have stored it/ }).click();
    await page.waitForURL(/\/console\/keys\/[0-9a-f-]{36}$/);
    keyUrl = page.url();
    assert.ok(!(await page.content()).includes(secret), 'the key page does not show the secret');
    assert.match(await page.locator('.facts').innerText(), /sandbox[\s\S]*orders:read[\s\S]*127\.0\.0\.1/);
    await see('key');
    // The one-time view was a POST answered with no-store: history cannot show it again.
    await page.goBack().catch((error: unknown) => assert.match(String(error), /ERR_CACHE_MISS/));
    await page.waitForLoadState('load');
    const back = await eventually(() => page.content().catch(() => undefined), {
      what: 'the page after going back',
    });
    assert.ok(!back.includes(secret), 'going back does not show the secret again');
    await screenshot(page, 'key-created-back');
  });

  it('rotates the key with an overlap, then revokes it, and the gateway refuses both secrets', async () => {
    await page.goto(keyUrl);
    await page.getByLabel('Keep the current secret working for').selectOption({ label: '1 hour' });
    await page.getByRole('button', { name: 'Rotate key' }).click();
    await page.waitForSelector('#secret');
    const rotated = recordSecret((await page.locator('#secret').innerText()).trim());
    const [original] = secretsShown as [string];
    assert.notEqual(rotated, original);
    secretsShown.push(rotated);
    await screenshot(page, 'key-rotated');
    assert.equal(await gatewayStatus(rotated), 200);
    assert.equal(await gatewayStatus(original), 200, 'the old secret works during the overlap');

    await page.goto(keyUrl);
    assert.equal(await page.locator('.facts li').count(), 2, 'both secrets are listed while they overlap');
    page.once('dialog', (dialog) => dialog.accept());
    await page.getByLabel(/^Reason/).fill('rotated out in the browser test');
    await page.getByRole('button', { name: 'Revoke key' }).click();
    await page.waitForURL(/notice=key_revoked$/);
    assert.match(await page.locator('.facts').innerText(), /revoked/);
    await see('key-revoked');
    for (const secret of [original, rotated]) {
      const refused = await server.data('/v1/orders', { headers: { 'x-api-key': secret } });
      assert.equal(refused.status, 401);
      assert.equal(refused.json.code, 'key_revoked');
    }
  });

  it('lists keys with their last use', async () => {
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.waitForURL('**/console/keys');
    assert.match(
      await page.locator('tbody').innerText(),
      /billing sync\s+sandbox\s+revoked\s+orders:read\s+\d{4}-/,
    );
    await see('keys');
  });

  it('shows a failed webhook delivery with its attempt, replays it, and it succeeds', async () => {
    receiver.reply = () => ({ status: 500, body: 'receiver is down for maintenance' });
    const integrators = await server.admin('GET', '/admin/v1/integrators');
    const integratorId = integrators.json.data[0].id as string;
    const type = await server.admin('POST', '/admin/v1/event-types', {
      body: { name: 'order.paid', description: 'An order was paid', schema: { type: 'object' } },
    });
    assert.equal(type.status, 201, type.text);
    const endpoint = await server.admin('POST', '/admin/v1/webhook-endpoints', {
      body: {
        integrator_id: integratorId,
        environment: 'sandbox',
        url: `${receiver.url}/hooks`,
        event_types: ['order.paid'],
      },
    });
    assert.equal(endpoint.status, 201, endpoint.text);
    recordSecret(endpoint.json.secret);
    const published = await server.admin('POST', '/admin/v1/events', {
      body: {
        type: 'order.paid',
        integrator_id: integratorId,
        environment: 'sandbox',
        data: { order_id: 'o-1' },
      },
    });
    assert.equal(published.status, 201, published.text);
    await eventually(
      async () => {
        const listed = await server.admin(
          'GET',
          `/admin/v1/webhook-deliveries?endpoint_id=${endpoint.json.id}`,
        );
        return listed.json.data[0]?.status === 'failed';
      },
      { what: 'the delivery to fail' },
    );

    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.waitForURL('**/console/webhooks');
    await see('webhooks');
    await page.getByRole('link', { name: `${receiver.url}/hooks` }).click();
    await page.waitForURL(/\/console\/webhooks\/[0-9a-f-]{36}$/);
    await see('webhook-endpoint');
    await page.locator('a[href^="/console/deliveries/"]').first().click();
    await page.waitForURL(/\/console\/deliveries\/[0-9a-f-]{36}$/);
    const attempts = await page.locator('tbody').innerText();
    assert.match(attempts, /500/);
    assert.match(attempts, /\d+ ms/);
    assert.match(attempts, /receiver is down for maintenance/);
    await see('delivery-failed');

    receiver.reply = () => ({ status: 204 });
    await page.getByRole('button', { name: 'Replay this delivery' }).click();
    await page.waitForURL(/notice=delivery_replayed$/);
    await eventually(
      async () => {
        await page.reload();
        return (await page.locator('.facts').innerText()).includes('succeeded');
      },
      { what: 'the replayed delivery to succeed' },
    );
    assert.equal(receiver.receivedAt('/hooks').length, 2);
    await see('delivery-replayed');
  });

  it('verifies the audit log, which names the operator for every change', async () => {
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.waitForURL('**/console/audit');
    const log = await page.locator('tbody').innerText();
    for (const action of [
      'console.sign_in',
      'integrator.create',
      'key.create',
      'key.rotate',
      'key.revoke',
      'webhook_message.replay',
    ])
      assert.ok(log.includes(action), `${action} is in the audit log`);
    assert.match(log, /key\.revoke\s+api_key[\s\S]*?owner \(GATEHOUSE_ADMIN_TOKEN\)/);
    await see('audit');
    await page.getByRole('button', { name: 'Verify the chain' }).click();
    await page.waitForURL(/\/console\/audit\/verify\??$/);
    assert.match(await page.locator('main').innerText(), /The audit chain verifies\./);
    await see('audit-verified');
  });

  it('shows alerts, security events and the checklist, each with an empty state', async () => {
    for (const [name, label] of [
      ['alerts', 'Alerts'],
      ['checklist', 'Checklist'],
    ] as const) {
      await page.getByRole('link', { name: label, exact: true }).click();
      await page.waitForURL(`**/console/${name}`);
      await see(name);
    }
    assert.match(await page.locator('main').innerText(), /Overall: (pass|warn|fail)/);
    await page.goto(`${server.adminUrl}/console/security-events`);
    await see('security-events');
  });

  it('an auditor sees no mutation buttons, and a forged form is refused by the server', async () => {
    const created = await server.admin('POST', '/admin/v1/admin-tokens', {
      body: { name: 'auditor in browser', role: 'auditor' },
    });
    const token = recordSecret(created.json.token);
    const auditorContext = await browser.newContext();
    const auditor = await auditorContext.newPage();
    await auditor.goto(`${server.adminUrl}/console/sign-in`);
    await auditor.getByLabel('Admin token').fill(token);
    await auditor.getByRole('button', { name: 'Sign in' }).click();
    await auditor.waitForURL('**/console/integrators');
    assert.equal(await auditor.getByRole('button', { name: 'Create integrator' }).count(), 0);
    await auditor.goto(keyUrl);
    assert.equal(await auditor.getByRole('button', { name: /Rotate|Revoke/ }).count(), 0);
    const before = (await server.admin('GET', '/admin/v1/integrators')).json.data.length;
    await auditor.evaluate(() => {
      const form = document.createElement('form');
      form.method = 'post';
      form.action = '/console/integrators';
      for (const source of document.querySelectorAll('.sign-out input[type=hidden]'))
        form.append(source.cloneNode());
      const name = Object.assign(document.createElement('input'), {
        name: 'name',
        value: 'made by an auditor',
      });
      form.append(name);
      document.body.append(form);
      form.submit();
    });
    await auditor.waitForURL('**/console/integrators');
    assert.match(await auditor.locator('main').innerText(), /needs the admin role/);
    await screenshot(auditor, 'auditor-refused');
    assert.equal((await server.admin('GET', '/admin/v1/integrators')).json.data.length, before);
    await auditorContext.close();
  });

  it('signs out; the page behind it asks for sign-in again', async () => {
    await page.goto(`${server.adminUrl}/console/integrators`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/console/sign-in');
    await page.goto(`${server.adminUrl}/console/keys`);
    assert.equal(new URL(page.url()).pathname, '/console/sign-in');
    assert.equal((await context.cookies()).length, 0);
  });

  it('an inline script injected into a page is blocked by the CSP', async () => {
    const blocked: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) blocked.push(message.text());
    });
    await page.goto(`${server.adminUrl}/console/sign-in`);
    const ran = await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'document.body.dataset.injected = "yes"';
      document.body.append(script);
      return document.body.dataset.injected === 'yes';
    });
    assert.equal(ran, false);
  });

  it('has no serious or critical accessibility violation on any page', async () => {
    const a11y = await browser.newContext({ bypassCSP: true });
    const checker = await a11y.newPage();
    await checker.goto(`${server.adminUrl}/console/sign-in`);
    const problems: string[] = (await seriousViolations(checker)).map((v) => `sign-in: ${v}`);
    await checker.getByLabel('Admin token').fill(server.ownerToken);
    await checker.getByRole('button', { name: 'Sign in' }).click();
    await checker.waitForURL('**/console/integrators');
    for (const [name, url] of visited) {
      if (name === 'sign-in') continue;
      await checker.goto(url);
      problems.push(...(await seriousViolations(checker)).map((v) => `${name}: ${v}`));
    }
    await checker.goto(visited.get('integrator') as string);
    await checker.getByLabel(/^Name \(the application/).fill('a11y key');
    await checker.getByRole('button', { name: 'Create key' }).click();
    await checker.waitForSelector('#secret');
    recordSecret((await checker.locator('#secret').innerText()).trim());
    problems.push(...(await seriousViolations(checker)).map((v) => `key-created: ${v}`));
    assert.deepEqual(problems, []);
    await a11y.close();
  });

  it('wrote no secret shown in the browser to the server log', async () => {
    const log = readFileSync(server.logPath, 'utf8');
    for (const secret of [...secretsShown, server.ownerToken]) assert.ok(!log.includes(secret));
  });
});
