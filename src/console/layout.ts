import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { roleAllows } from '../admin/admin-token.ts';
import type { ConsoleSession } from './console-sessions.ts';
import { html, type SafeHtml } from './html.ts';

/** The console's pages, in the order the navigation lists them. */
const NAV: readonly { readonly href: string; readonly label: string }[] = [
  { href: '/console/integrators', label: 'Integrators' },
  { href: '/console/keys', label: 'API keys' },
  { href: '/console/oauth-clients', label: 'OAuth clients' },
  { href: '/console/webhooks', label: 'Webhooks' },
  { href: '/console/event-types', label: 'Event types' },
  { href: '/console/audit', label: 'Audit log' },
  { href: '/console/alerts', label: 'Alerts' },
  { href: '/console/checklist', label: 'Checklist' },
  { href: '/console/access-review', label: 'Access review' },
];

export interface PageOptions {
  readonly title: string;
  /** The signed-in session: the navigation and sign-out appear only with one. */
  readonly session: ConsoleSession | null;
  /** The navigation entry to mark as current. */
  readonly current?: string;
  readonly body: SafeHtml;
}

/** A whole console page: no inline script or style (the CSP forbids both), one stylesheet, one script. */
export function page({ title, session, current, body }: PageOptions): SafeHtml {
  const nav = session
    ? html`<nav aria-label="Console"><ul>${NAV.map(
        (item) =>
          html`<li><a href="${item.href}"${item.href === current ? html` aria-current="page"` : ''}>${item.label}</a></li>`,
      )}</ul></nav>
      <form method="post" action="/console/sign-out" class="sign-out">
        ${csrfFields(session)}
        <span>Signed in as ${session.admin.name} (${session.admin.role})</span>
        <button type="submit">Sign out</button>
      </form>`
    : '';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${title} · Gatehouse console</title>
<link rel="stylesheet" href="/console/assets/console.css">
<script src="/console/assets/console.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header><p class="brand"><a href="/console">Gatehouse console</a></p>${nav}</header>
<main id="main">
<h1>${title}</h1>
${body}
</main>
</body>
</html>`;
}

/** Sends a page as HTML with the given status. */
export function sendPage(reply: FastifyReply, status: number, markup: SafeHtml): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(markup.toString());
}

/**
 * The hidden fields every console form carries: the session's CSRF token, and a fresh form id so
 * that the same form posted twice (a double click, a resubmission from history) acts once.
 */
export function csrfFields(session: ConsoleSession): SafeHtml {
  const formId = randomBytes(16).toString('base64url');
  return html`<input type="hidden" name="_csrf" value="${session.csrfToken}"><input type="hidden" name="_form" value="${formId}">`;
}

/** Whether the signed-in admin may use a mutation: an auditor's pages show none. */
export function mayChange(session: ConsoleSession | null): boolean {
  return session !== null && roleAllows(session.admin.role, 'admin');
}

/** A "next page" link from the API's cursor, keeping the page's other query parameters. */
export function nextPageLink(
  path: string,
  nextCursor: string | null,
  query: Record<string, string | undefined> = {},
): SafeHtml {
  if (nextCursor === null) return html``;
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query))
    if (value !== undefined && value !== '') params.set(name, value);
  params.set('cursor', nextCursor);
  return html`<p class="pager"><a href="${`${path}?${params}`}" rel="next">Next page</a></p>`;
}

/** An ISO timestamp as people read it, or a dash. */
export function when(iso: string | null | undefined): SafeHtml {
  if (!iso) return html`<span class="muted">—</span>`;
  return html`<time datetime="${iso}">${iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time>`;
}

/** A status as a badge; the word is the information, the colour only repeats it. */
export function badge(status: string): SafeHtml {
  return html`<span class="badge badge-${status.replace(/[^a-z_]/g, '')}">${status}</span>`;
}

/** The short notices a redirect after a change may name (`?notice=`): fixed texts, never data. */
const NOTICES: Readonly<Record<string, string>> = {
  integrator_created: 'The integrator was created.',
  integrator_disabled: 'The integrator was disabled: its credentials stop working at once.',
  integrator_enabled: 'The integrator was enabled.',
  key_revoked: 'The key was revoked: the next request with it fails.',
  oauth_client_revoked: 'The client was revoked: it gets no new tokens, and the ones it holds are refused.',
  event_type_created: 'The event type was added to the catalog.',
  delivery_replayed: 'The delivery was queued again.',
  alert_acknowledged: 'The alert was acknowledged.',
};

export function noticeOf(code: string | undefined): SafeHtml {
  const text = code !== undefined && Object.hasOwn(NOTICES, code) ? NOTICES[code] : undefined;
  return text === undefined ? html`` : html`<p class="notice" role="status">${text}</p>`;
}
