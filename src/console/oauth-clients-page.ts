import type { FastifyInstance } from 'fastify';
import { auditContextOf } from '../audit/audit-context.ts';
import { isUuid } from '../db/uuid7.ts';
import { invalidRequest } from '../http/api-error.ts';
import type { Integrator } from '../integrators/integrator.ts';
import type { IntegratorService } from '../integrators/integrator-service.ts';
import { CreateClientBody } from '../oauth/client-schemas.ts';
import type { ClientService } from '../oauth/client-service.ts';
import type { CreateClientInput, OAuthClient } from '../oauth/oauth-client.ts';
import { credentialFields, formOf, textField } from './console-request.ts';
import type { ConsoleSession } from './console-sessions.ts';
import { formValidator, idParam, queryParam } from './form-schema.ts';
import { html, type SafeHtml } from './html.ts';
import { ROTATION_OVERLAPS, scopeList } from './key-views.ts';
import { badge, csrfFields, mayChange, nextPageLink, noticeOf, page, sendPage, when } from './layout.ts';
import { oneTimeSecretView } from './one-time-secret.ts';

export interface OAuthClientPageDeps {
  readonly oauth: { readonly clients: ClientService };
  readonly integrators: IntegratorService;
}

const PAGE_SIZE = 25;
/** How many integrators the filter and the create form offer (the integrator's page links here for the rest). */
const INTEGRATOR_CHOICES = 200;
const validateCreate = formValidator<CreateClientInput>(CreateClientBody);
const CURRENT = '/console/oauth-clients';

/** `/console/oauth-clients`: list (by integrator), create (secret once), rotate with overlap, revoke (K6). */
export function registerOAuthClientPages(
  scope: FastifyInstance,
  { oauth: { clients }, integrators }: OAuthClientPageDeps,
): void {
  scope.get('/oauth-clients', async (request, reply) => {
    const session = request.consoleSession;
    const cursor = queryParam(request.query, 'cursor');
    const integratorId = queryParam(request.query, 'integrator_id');
    if (integratorId !== undefined && !isUuid(integratorId))
      throw invalidRequest([{ field: '/integrator_id', message: 'must be an integrator id' }]);
    const [list, choices] = await Promise.all([
      clients.list(integratorId, PAGE_SIZE, cursor),
      integrators.list(INTEGRATOR_CHOICES, undefined),
    ]);
    const names = new Map(choices.data.map((i) => [i.id, i.name]));
    const rows = list.data.map(
      (client) =>
        html`<tr><td><a href="/console/oauth-clients/${client.id}">${client.name}</a></td><td><a href="/console/integrators/${client.integrator_id}">${names.get(client.integrator_id) ?? client.integrator_id}</a></td>
<td>${client.environment}</td><td>${badge(client.status)}</td><td>${scopeList(client.scopes)}</td><td>${when(client.last_used_at)}</td><td>${when(client.created_at)}</td></tr>`,
    );
    const canCreate = mayChange(session) && session !== null;
    const empty = integratorId
      ? html`<p class="empty">This integrator has no OAuth clients.${canCreate ? ' Create one below; its secret is shown once.' : ''} <a href="/console/oauth-clients">Show every integrator’s clients</a>.</p>`
      : choices.data.length === 0
        ? html`<p class="empty">No OAuth clients, and no integrator to own one: create an integrator first on <a href="/console/integrators">Integrators</a>.</p>`
        : html`<p class="empty">No OAuth clients yet.${canCreate ? ' Create one below; its secret is shown once.' : ' An admin creates them here or with POST /admin/v1/clients.'}</p>`;
    return sendPage(
      reply,
      200,
      page({
        title: 'OAuth clients',
        session,
        current: CURRENT,
        body: html`${noticeOf(queryParam(request.query, 'notice'))}
<form method="get" action="/console/oauth-clients" class="inline"><label for="filter-integrator">Integrator</label>
<select id="filter-integrator" name="integrator_id"><option value="">any</option>${integratorOptions(choices.data, integratorId)}</select>
<button type="submit">Show</button></form>
${rows.length ? html`<table><caption class="visually-hidden">OAuth clients</caption><thead><tr><th scope="col">Name</th><th scope="col">Integrator</th><th scope="col">Environment</th><th scope="col">Status</th><th scope="col">Scopes</th><th scope="col">Last used</th><th scope="col">Created</th></tr></thead><tbody>${rows}</tbody></table>` : empty}
${nextPageLink(CURRENT, list.next_cursor, { integrator_id: integratorId })}
${canCreate && session && choices.data.some((i) => i.status === 'active') ? createForm(session, choices.data, integratorId) : ''}`,
      }),
    );
  });

  scope.post('/oauth-clients', async (request, reply) => {
    const form = formOf(request);
    const ttl = textField(form, 'token_ttl_seconds');
    const input = validateCreate({
      ...credentialFields(form),
      ...(ttl === undefined ? {} : { token_ttl_seconds: /^\d{1,9}$/.test(ttl) ? Number(ttl) : ttl }),
    });
    const { client, secret } = await clients.create(input, auditContextOf(request));
    return sendPage(
      reply,
      201,
      clientSecretPage(sessionOf(request.consoleSession), client, secret, 'OAuth client created'),
    );
  });

  scope.get('/oauth-clients/:id', async (request, reply) => {
    const session = request.consoleSession;
    const client = await clients.get(idParam(request.params, 'OAuth client'));
    const integrator = await integrators.get(client.integrator_id).catch(() => undefined);
    const canChange = mayChange(session) && session !== null && client.status !== 'revoked';
    const secrets = client.secrets.map(
      (s) =>
        html`<li><code>${s.hint}</code> created ${when(s.created_at)}${s.expires_at ? html`, stops working ${when(s.expires_at)}` : ''}</li>`,
    );
    return sendPage(
      reply,
      200,
      page({
        title: `OAuth client ${client.name}`,
        session,
        current: CURRENT,
        body: html`${noticeOf(queryParam(request.query, 'notice'))}
<dl class="facts"><dt>Status</dt><dd>${badge(client.status)}</dd><dt>Client id</dt><dd><code>${client.client_id}</code></dd>
<dt>Environment</dt><dd>${client.environment}</dd>
<dt>Integrator</dt><dd><a href="/console/integrators/${client.integrator_id}">${integrator?.name ?? client.integrator_id}</a></dd>
<dt>Scopes</dt><dd>${scopeList(client.scopes)}</dd>
<dt>Allowed IPs</dt><dd>${client.allowed_ips.length ? client.allowed_ips.map((ip, i) => html`${i ? ', ' : ''}<code>${ip}</code>`) : 'any address'}</dd>
<dt>Token lifetime</dt><dd>${client.token_ttl_seconds} s</dd><dt>Last used</dt><dd>${when(client.last_used_at)}</dd>
<dt>Created</dt><dd>${when(client.created_at)}</dd>
${client.revoked_at ? html`<dt>Revoked</dt><dd>${when(client.revoked_at)}</dd>` : ''}
<dt>Secrets that verify</dt><dd>${secrets.length ? html`<ul>${secrets}</ul>` : 'none'}</dd></dl>
${canChange && session ? changeForms(session, client) : ''}`,
      }),
    );
  });

  scope.post('/oauth-clients/:id/rotate', async (request, reply) => {
    const id = idParam(request.params, 'OAuth client');
    const overlap = Number(formOf(request).get('overlap_seconds'));
    const offered = ROTATION_OVERLAPS.find(([seconds]) => seconds === overlap);
    if (!offered)
      throw invalidRequest([{ field: '/overlap_seconds', message: 'must be one of the offered windows' }]);
    const { client, secret } = await clients.rotate(id, offered[0], auditContextOf(request));
    return sendPage(
      reply,
      200,
      clientSecretPage(sessionOf(request.consoleSession), client, secret, 'Client secret rotated'),
    );
  });

  scope.post('/oauth-clients/:id/revoke', async (request, reply) => {
    const id = idParam(request.params, 'OAuth client');
    await clients.revoke(id, null, auditContextOf(request));
    return reply.redirect(`/console/oauth-clients/${id}?notice=oauth_client_revoked`, 303);
  });
}

function sessionOf(session: ConsoleSession | null): ConsoleSession {
  if (!session) throw new Error('a console POST reached its handler without a session');
  return session;
}

function integratorOptions(choices: readonly Integrator[], selected: string | undefined): SafeHtml {
  return html`${choices.map((i) => html`<option value="${i.id}"${i.id === selected ? html` selected` : ''}>${i.name}</option>`)}`;
}

function createForm(
  session: ConsoleSession,
  choices: readonly Integrator[],
  selected: string | undefined,
): SafeHtml {
  const active = choices.filter((i) => i.status === 'active');
  return html`<section aria-labelledby="new-client"><h2 id="new-client">New OAuth client</h2>
<form method="post" action="/console/oauth-clients" class="stack">${csrfFields(session)}
<label for="client-integrator">Integrator</label><select id="client-integrator" name="integrator_id" required>${integratorOptions(active, selected)}</select>
<label for="client-name">Client name (the application that requests tokens)</label><input id="client-name" name="name" required maxlength="200">
<fieldset><legend>Environment</legend>
<label><input type="radio" name="environment" value="sandbox" checked> Sandbox</label>
<label><input type="radio" name="environment" value="production"> Production</label></fieldset>
<label for="client-scopes">Scopes it may request (separated by spaces or commas)</label><input id="client-scopes" name="scopes" maxlength="4000" placeholder="orders:read orders:write">
<label for="client-ips">Allowed IP addresses or CIDR ranges (one per line; empty allows any)</label><textarea id="client-ips" name="allowed_ips" rows="3" maxlength="6400"></textarea>
<label for="client-ttl">Access token lifetime in seconds (optional; 60 to 86400, default 3600)</label><input id="client-ttl" name="token_ttl_seconds" inputmode="numeric" maxlength="5">
<button type="submit">Create client</button></form></section>`;
}

function changeForms(session: ConsoleSession, client: OAuthClient): SafeHtml {
  return html`<section aria-labelledby="rotate"><h2 id="rotate">Rotate the secret</h2>
<form method="post" action="/console/oauth-clients/${client.id}/rotate" class="stack">${csrfFields(session)}
<label for="overlap">Keep the current secret working for</label>
<select id="overlap" name="overlap_seconds">${ROTATION_OVERLAPS.map(([seconds, label]) => html`<option value="${seconds}">${label}</option>`)}</select>
<button type="submit">Rotate secret</button></form></section>
<section aria-labelledby="revoke"><h2 id="revoke">Revoke</h2>
<form method="post" action="/console/oauth-clients/${client.id}/revoke" class="stack" data-confirm="Revoke ${client.name}? It gets no new tokens, and the tokens it holds are refused.">${csrfFields(session)}
<p class="hint">No new tokens are issued to it, and the tokens it holds are refused from now on.</p>
<button type="submit" class="danger">Revoke client</button></form></section>`;
}

/** The client's new secret, once, with the client id it goes with (both are what `/oauth/token` takes). */
function clientSecretPage(
  session: ConsoleSession,
  client: OAuthClient,
  secret: string,
  heading: string,
): SafeHtml {
  return oneTimeSecretView({
    session,
    heading,
    current: CURRENT,
    label: `${client.name} (${client.environment})`,
    secret,
    facts: html`<dl class="facts"><dt>Client id</dt><dd><code>${client.client_id}</code></dd><dt>Scopes</dt><dd>${scopeList(client.scopes)}</dd></dl>`,
    next: `/console/oauth-clients/${client.id}`,
    nextLabel: 'client',
  });
}
