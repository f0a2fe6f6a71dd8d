import type { FastifyInstance } from 'fastify';
import { auditContextOf } from '../audit/audit-context.ts';
import type { Integrator } from '../integrators/integrator.ts';
import { CreateIntegratorBody } from '../integrators/integrator-schemas.ts';
import type { IntegratorService } from '../integrators/integrator-service.ts';
import type { KeyService } from '../keys/key-service.ts';
import { formOf, textField } from './console-request.ts';
import { formValidator, idParam, queryParam } from './form-schema.ts';
import { html } from './html.ts';
import { keyCreateForm, keyTable } from './key-views.ts';
import { badge, csrfFields, mayChange, nextPageLink, noticeOf, page, sendPage, when } from './layout.ts';

export interface IntegratorPageDeps {
  readonly integrators: IntegratorService;
  readonly keys: KeyService;
}

const PAGE_SIZE = 25;
const validateCreate = formValidator<{ name: string; email?: string }>(CreateIntegratorBody);

/** `/console/integrators`: search, create, open one (its keys, a new key), disable or enable it. */
export function registerIntegratorPages(
  scope: FastifyInstance,
  { integrators, keys }: IntegratorPageDeps,
): void {
  scope.get('/integrators', async (request, reply) => {
    const session = request.consoleSession;
    const search = queryParam(request.query, 'q', 200);
    const cursor = queryParam(request.query, 'cursor');
    const list = await integrators.list(PAGE_SIZE, cursor, search);
    const rows = list.data.map(
      (integrator) =>
        html`<tr><td><a href="/console/integrators/${integrator.id}">${integrator.name}</a></td><td>${integrator.email ?? ''}</td><td>${badge(integrator.status)}</td><td>${when(integrator.created_at)}</td></tr>`,
    );
    const empty = search
      ? html`<p class="empty">No integrator’s name or email contains “${search}”. Try a shorter search.</p>`
      : html`<p class="empty">No integrators yet. Create the first one below; its API keys, OAuth clients and webhook endpoints belong to it.</p>`;
    const create =
      mayChange(session) && session
        ? html`<section aria-labelledby="new-integrator"><h2 id="new-integrator">New integrator</h2>
<form method="post" action="/console/integrators" class="stack">${csrfFields(session)}
<label for="integrator-name">Name</label><input id="integrator-name" name="name" required maxlength="200">
<label for="integrator-email">Contact email (optional)</label><input id="integrator-email" name="email" type="email" maxlength="320">
<button type="submit">Create integrator</button></form></section>`
        : '';
    return sendPage(
      reply,
      200,
      page({
        title: 'Integrators',
        session,
        current: '/console/integrators',
        body: html`${noticeOf(queryParam(request.query, 'notice'))}
<form method="get" action="/console/integrators" role="search" class="inline">
<label for="q">Search by name or email</label><input id="q" name="q" type="search" value="${search ?? ''}" maxlength="200">
<button type="submit">Search</button></form>
${rows.length ? html`<table><caption class="visually-hidden">Integrators</caption><thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Status</th><th scope="col">Created</th></tr></thead><tbody>${rows}</tbody></table>` : empty}
${nextPageLink('/console/integrators', list.next_cursor, { q: search })}
${create}`,
      }),
    );
  });

  scope.post('/integrators', async (request, reply) => {
    const form = formOf(request);
    const email = textField(form, 'email');
    const input = validateCreate({
      name: textField(form, 'name') ?? '',
      ...(email === undefined ? {} : { email }),
    });
    const created = await integrators.create(input, auditContextOf(request));
    return reply.redirect(`/console/integrators/${created.id}?notice=integrator_created`, 303);
  });

  scope.get('/integrators/:id', async (request, reply) => {
    const session = request.consoleSession;
    const integrator = await integrators.get(idParam(request.params, 'Integrator'));
    const cursor = queryParam(request.query, 'cursor');
    const list = await keys.list({ integratorId: integrator.id }, PAGE_SIZE, cursor);
    const canChange = mayChange(session) && session !== null;
    return sendPage(
      reply,
      200,
      page({
        title: `Integrator ${integrator.name}`,
        session,
        current: '/console/integrators',
        body: html`${noticeOf(queryParam(request.query, 'notice'))}
<dl class="facts"><dt>Status</dt><dd>${badge(integrator.status)}</dd><dt>Email</dt><dd>${integrator.email ?? '—'}</dd>
<dt>Id</dt><dd><code>${integrator.id}</code></dd><dt>Created</dt><dd>${when(integrator.created_at)}</dd></dl>
${canChange ? statusForm(integrator, session) : ''}
<h2>API keys</h2>
${list.data.length ? keyTable(list.data) : html`<p class="empty">This integrator has no API keys yet.${canChange ? ' Create one below; its secret is shown once.' : ''}</p>`}
${nextPageLink(`/console/integrators/${integrator.id}`, list.next_cursor)}
<p><a href="/console/oauth-clients?integrator_id=${integrator.id}">OAuth clients of ${integrator.name}</a></p>
${canChange && integrator.status === 'active' ? keyCreateForm(session, integrator.id) : ''}`,
      }),
    );
  });

  for (const status of ['disabled', 'active'] as const) {
    const action = status === 'disabled' ? 'disable' : 'enable';
    scope.post(`/integrators/:id/${action}`, async (request, reply) => {
      const current = await integrators.get(idParam(request.params, 'Integrator'));
      const version = Number(formOf(request).get('version'));
      const { name, email, metadata } = current;
      await integrators.replace(
        current.id,
        { name, email, metadata, status },
        Number.isSafeInteger(version) ? version : undefined,
        auditContextOf(request),
      );
      return reply.redirect(`/console/integrators/${current.id}?notice=integrator_${action}d`, 303);
    });
  }
}

function statusForm(integrator: Integrator, session: NonNullable<Parameters<typeof csrfFields>[0]>) {
  const disabling = integrator.status === 'active';
  const action = disabling ? 'disable' : 'enable';
  return html`<form method="post" action="/console/integrators/${integrator.id}/${action}" class="inline"${disabling ? html` data-confirm="Disable ${integrator.name}? Every credential of it stops working at once."` : ''}>
${csrfFields(session)}<input type="hidden" name="version" value="${integrator.version}">
<button type="submit" class="${disabling ? 'danger' : ''}">${disabling ? 'Disable integrator' : 'Enable integrator'}</button></form>`;
}
