import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ARTIFACTS_DIR } from './artifacts.ts';

// Code given to page.evaluate runs in the page; tsconfig has no DOM library, so its globals are declared here.
// biome-ignore lint/suspicious/noExplicitAny: the page's document, typed by the browser, not by this file
declare const document: any;

export const CHROMIUM = process.env.GATEHOUSE_TEST_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_SKIP = `${CHROMIUM} is not installed (apt-get install chromium)`;
/** In CI a missing browser fails the tests; elsewhere they are skipped with this message. */
export const chromiumMissing = !existsSync(CHROMIUM);
export const skipWithoutChromium = chromiumMissing && !process.env.CI ? CHROMIUM_SKIP : false;

const SCREENSHOTS = join(ARTIFACTS_DIR, 'screenshots');

/**
 * The base64 SHA-256 of the SPKI of the test server's development CA: what Chromium's
 * `--ignore-certificate-errors-spki-list` is given, so it trusts only certificates that this one
 * test CA issued. (Chromium matches the pin against the chain's issuer; the leaf's alone was not
 * honoured for a chain whose root it does not know.)
 */
export function spkiPinOf(ca: Buffer): string {
  const spki = new X509Certificate(ca).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/**
 * Debian's Chromium, headless, trusting exactly the certificate with this SPKI pin (never "ignore
 * HTTPS errors"), with nothing reaching out to the network on its own.
 */
export async function launchChromium(spkiPin: string): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--ignore-certificate-errors-spki-list=${spkiPin}`,
    ],
  });
}

/** Saves a full-page screenshot with the run's artifacts. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `console-${name}.png`), fullPage: true });
}

const AXE = createRequire(import.meta.url).resolve('axe-core');

/** The serious and critical accessibility violations axe-core finds on the page (the page's context must bypass CSP). */
export async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    // biome-ignore lint/suspicious/noExplicitAny: axe is injected as a global
    const results = await (globalThis as any).axe.run(document, { resultTypes: ['violations'] });
    return (
      results.violations as { id: string; impact: string; help: string; nodes: { target: string[] }[] }[]
    ).map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.targets.slice(0, 3).join(', ')})`);
}
