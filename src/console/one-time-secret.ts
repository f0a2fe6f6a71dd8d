import type { ConsoleSession } from './console-sessions.ts';
import { html, type SafeHtml } from './html.ts';
import { page } from './layout.ts';

export interface OneTimeSecret {
  readonly session: ConsoleSession;
  readonly heading: string;
  /** The navigation entry the page belongs to. */
  readonly current: string;
  /** What the secret belongs to, for its label: `billing sync (sandbox)`. */
  readonly label: string;
  readonly secret: string;
  /** Public facts shown beside it (a client id), never another secret. */
  readonly facts?: SafeHtml;
  /** Where "I have stored it" leads: the credential's own page, which never shows the secret. */
  readonly next: string;
  /** What that page is: `key`, `client`. */
  readonly nextLabel: string;
}

/**
 * The one-time view of a new secret: the answer of the POST itself (never a redirect, so the
 * secret is in no URL or title), not cached; navigating away leaves no copy in any page.
 */
export function oneTimeSecretView({
  session,
  heading,
  current,
  label,
  secret,
  facts,
  next,
  nextLabel,
}: OneTimeSecret): SafeHtml {
  return page({
    title: heading,
    session,
    current,
    body: html`<div class="secret-box">
<p><strong>Copy this secret now: it is shown this once and cannot be shown again.</strong> Gatehouse keeps only a keyed hash of it.</p>
${facts ?? ''}
<p><label for="secret">Secret of ${label}</label></p>
<p><code id="secret" class="secret" tabindex="0">${secret}</code></p>
<p><button type="button" data-copy="secret">Copy secret</button> <span class="copy-status" role="status" aria-live="polite"></span></p>
</div>
<p><a href="${next}">I have stored it: show the ${nextLabel}</a></p>`,
  });
}
