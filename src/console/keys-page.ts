import type { FastifyInstance } from 'fastify';
import { auditContextOf } from '../audit/audit-context.ts';
import { invalidRequest } from '../http/api-error.ts';
import type { CreateKeyInput } from '../keys/api-key.ts';
import { CreateKeyBody } from '../keys/key-schemas.ts';
import type { KeyService } from '../keys/key-service.ts';
import { credentialFields, formOf, textField } from './console-request.ts';
import { formValidator, idParam, queryParam } from './form-schema.ts';
import { html } from './html.ts';
import { keyTable, oneTimeSecretPage, ROTATION_OVERLAPS, scopeList } from './key-views.ts';
import { badge, csrfFields, mayChange, nextPageLink, noticeOf, page, sendPage, when } from './layout.ts';

export interface KeyPageDeps {
  readonly keys: KeyService;
}

const PAGE_SIZE = 25;
const validateCreate = formValidator<CreateKeyInput>(CreateKeyBody);
const STATUSES = ['active', 'revoked'] as const;

/** `/console/keys`: list, open, create (secret once), rotate with overlap, revoke. */
export function registerKeyPages(scope: FastifyInstance, { keys }: KeyPageDeps): void {
  scope.get('/keys', async (request, reply) => {
    const cursor = queryParam(request.query, 'cursor');
    const wanted = queryParam(request.query, 'status');
    const status = STATUSES.find((s) => s === wanted);
    const list = await keys.list({ status }, PAGE_SIZE, cursor);
    return sendPage(
      reply,
      200,
      page({
        title: 'API keys',
        session: request.consoleSession,
        current: '/console/keys',
        body: html`<form method="get" action="/console/keys" class="inline"><label for="status">Status</label>
<select id="status" name="status"><option value="">any</option>${STATUSES.map((s) => html`<option${s === status ? html` selected` : ''}>${s}</option>`)}</select>
<button type="submit">Show</button></form>
${list.data.length ? keyTable(list.data) : html`<p class="empty">No API keys${status ? ` that are ${status}` : ''}. Keys are created from an integrator’s page: open <a href="/console/integrators">Integrators</a>.</p>`}
${nextPageLink('/console/keys', list.next_cursor, { status })}`,
      }),
    );
  });

  scope.post('/keys', async (request, reply) => {
    const form = formOf(request);
    const expires = textField(form, 'expires_at');
    const owner = textField(form, 'owner');
    const input = validateCreate({
      ...credentialFields(form),
      ...(owner === undefined ? {} : { owner }),
      ...(expires === undefined ? {} : { expires_at: dateToTimestamp(expires) }),
    });
    const { key, secret } = await keys.create(input, auditContextOf(request));
    const session = request.consoleSession;
    if (!session) throw new Error('a console POST reached its handler without a session');
    return sendPage(reply, 201, oneTimeSecretPage(session, key, secret, 'Key created'));
  });

  scope.get('/keys/:id', async (request, reply) => {
    const session = request.consoleSession;
    const key = await keys.get(idParam(request.params, 'API key'));
    const canChange = mayChange(session) && session !== null && key.status !== 'revoked';
    const secrets = key.secrets.map(
      (s) =>
        html`<li><code>${s.hint}</code> created ${when(s.created_at)}${s.expires_at ? html`, stops working ${when(s.expires_at)}` : ''}</li>`,
    );
    const actions =
      canChange && session
        ? html`<section aria-labelledby="rotate"><h2 id="rotate">Rotate</h2>
<form method="post" action="/console/keys/${key.id}/rotate" class="stack">${csrfFields(session)}
<label for="overlap">Keep the current secret working for</label>
<select id="overlap" name="overlap_seconds">${ROTATION_OVERLAPS.map(([seconds, label]) => html`<option value="${seconds}">${label}</option>`)}</select>
<button type="submit">Rotate key</button></form></section>
<section aria-labelledby="revoke"><h2 id="revoke">Revoke</h2>
<form method="post" action="/console/keys/${key.id}/revoke" class="stack" data-confirm="Revoke ${key.name}? The next request with it fails.">${csrfFields(session)}
<label for="reason">Reason (recorded in the audit log)</label><input id="reason" name="reason" maxlength="500">
<button type="submit" class="danger">Revoke key</button></form></section>`
        : '';
    return sendPage(
      reply,
      200,
      page({
        title: `API key ${key.name}`,
        session,
        current: '/console/keys',
        body: html`${noticeOf(queryParam(request.query, 'notice'))}
<dl class="facts"><dt>Status</dt><dd>${badge(key.status)}</dd><dt>Environment</dt><dd>${key.environment}</dd>
<dt>Integrator</dt><dd><a href="/console/integrators/${key.integrator_id}">${key.integrator_id}</a></dd>
<dt>Scopes</dt><dd>${scopeList(key.scopes)}</dd>
<dt>Allowed IPs</dt><dd>${key.allowed_ips.length ? key.allowed_ips.map((ip, i) => html`${i ? ', ' : ''}<code>${ip}</code>`) : 'any address'}</dd>
<dt>Owner</dt><dd>${key.owner ?? '—'}</dd><dt>Last used</dt><dd>${when(key.last_used_at)}</dd>
<dt>Created</dt><dd>${when(key.created_at)}</dd><dt>Expires</dt><dd>${when(key.expires_at)}</dd>
${key.revoked_at ? html`<dt>Revoked</dt><dd>${when(key.revoked_at)} ${key.revoked_reason ?? ''}</dd>` : ''}
<dt>Secrets that verify</dt><dd>${secrets.length ? html`<ul>${secrets}</ul>` : 'none'}</dd></dl>
${actions}`,
      }),
    );
  });

  scope.post('/keys/:id/rotate', async (request, reply) => {
    const id = idParam(request.params, 'API key');
    const overlap = Number(formOf(request).get('overlap_seconds'));
    const offered = ROTATION_OVERLAPS.find(([seconds]) => seconds === overlap);
    if (!offered)
      throw invalidRequest([{ field: '/overlap_seconds', message: 'must be one of the offered windows' }]);
    const { key, secret } = await keys.rotate(id, offered[0], auditContextOf(request));
    const session = request.consoleSession;
    if (!session) throw new Error('a console POST reached its handler without a session');
    return sendPage(reply, 200, oneTimeSecretPage(session, key, secret, 'Key rotated'));
  });

  scope.post('/keys/:id/revoke', async (request, reply) => {
    const id = idParam(request.params, 'API key');
    const reason = textField(formOf(request), 'reason')?.slice(0, 500) ?? null;
    await keys.revoke(id, reason, auditContextOf(request));
    return reply.redirect(`/console/keys/${id}?notice=key_revoked`, 303);
  });
}

/** A date input (`2030-01-31`) as the end of that day in UTC; anything else is left for the schema to refuse. */
function dateToTimestamp(date: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(date) ? `${date}T23:59:59Z` : date;
}
