import type { ApiKey } from '../keys/api-key.ts';
import type { ConsoleSession } from './console-sessions.ts';
import { html, type SafeHtml } from './html.ts';
import { badge, csrfFields, when } from './layout.ts';
import { oneTimeSecretView } from './one-time-secret.ts';

/** The overlap windows a rotation (of a key or a client) offers, in seconds: the old secret keeps working this long. */
export const ROTATION_OVERLAPS: readonly (readonly [seconds: number, label: string])[] = [
  [3600, '1 hour'],
  [86_400, '1 day'],
  [7 * 86_400, '7 days'],
  [0, 'none: the old secret stops at once'],
];
/** Keys as a table: name, environment, status, scopes, last use. */
export function keyTable(keys: readonly ApiKey[]): SafeHtml {
  return html`<table><caption class="visually-hidden">API keys</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Environment</th><th scope="col">Status</th><th scope="col">Scopes</th><th scope="col">Last used</th><th scope="col">Created</th></tr></thead>
<tbody>${keys.map(
    (key) =>
      html`<tr><td><a href="/console/keys/${key.id}">${key.name}</a></td><td>${key.environment}</td><td>${badge(key.status)}</td><td>${scopeList(key.scopes)}</td><td>${when(key.last_used_at)}</td><td>${when(key.created_at)}</td></tr>`,
  )}</tbody></table>`;
}

export function scopeList(scopes: readonly string[]): SafeHtml {
  return scopes.length
    ? html`${scopes.map((scope, index) => html`${index ? ' ' : ''}<code>${scope}</code>`)}`
    : html`<span class="muted">none</span>`;
}

/** The form that issues a key for an integrator (the secret comes back once, in the response). */
export function keyCreateForm(session: ConsoleSession, integratorId: string): SafeHtml {
  return html`<section aria-labelledby="new-key"><h2 id="new-key">New API key</h2>
<form method="post" action="/console/keys" class="stack">${csrfFields(session)}
<input type="hidden" name="integrator_id" value="${integratorId}">
<label for="key-name">Name (the application or service that uses it)</label><input id="key-name" name="name" required maxlength="200">
<fieldset><legend>Environment</legend>
<label><input type="radio" name="environment" value="sandbox" checked> Sandbox</label>
<label><input type="radio" name="environment" value="production"> Production</label></fieldset>
<label for="key-scopes">Scopes (separated by spaces or commas)</label><input id="key-scopes" name="scopes" maxlength="4000" placeholder="orders:read orders:write">
<label for="key-ips">Allowed IP addresses or CIDR ranges (one per line; empty allows any)</label><textarea id="key-ips" name="allowed_ips" rows="3" maxlength="6400"></textarea>
<label for="key-owner">Owner (optional: a person or team)</label><input id="key-owner" name="owner" maxlength="200">
<label for="key-expires">Expires (optional)</label><input id="key-expires" name="expires_at" type="date">
<button type="submit">Create key</button></form></section>`;
}

/** The one-time view of a key's new secret (see `oneTimeSecretView`). */
export function oneTimeSecretPage(
  session: ConsoleSession,
  key: ApiKey,
  secret: string,
  heading: string,
): SafeHtml {
  return oneTimeSecretView({
    session,
    heading,
    current: '/console/keys',
    label: `${key.name} (${key.environment})`,
    secret,
    next: `/console/keys/${key.id}`,
    nextLabel: 'key',
  });
}
