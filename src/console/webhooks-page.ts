import type { FastifyInstance } from 'fastify';
import { auditContextOf } from '../audit/audit-context.ts';
import type { WebhookDelivery } from '../webhooks/webhook-message.ts';
import type { Webhooks } from '../webhooks/webhooks.ts';
import { idParam, queryParam } from './form-schema.ts';
import { html, type SafeHtml } from './html.ts';
import { badge, csrfFields, mayChange, nextPageLink, noticeOf, page, sendPage, when } from './layout.ts';

export interface WebhookPageDeps {
  readonly webhooks: Webhooks;
}

const PAGE_SIZE = 25;

/** `/console/webhooks`: endpoints, their deliveries, each delivery's attempts, and replay (W3). */
export function registerWebhookPages(scope: FastifyInstance, { webhooks }: WebhookPageDeps): void {
  const { endpoints, operations } = webhooks;

  scope.get('/webhooks', async (request, reply) => {
    const cursor = queryParam(request.query, 'cursor');
    const list = await endpoints.list({}, PAGE_SIZE, cursor);
    const failed = await operations.listDeliveries({ status: 'failed' }, 10, undefined);
    const rows = list.data.map(
      (endpoint) =>
        html`<tr><td><a href="/console/webhooks/${endpoint.id}">${endpoint.url}</a></td><td><a href="/console/integrators/${endpoint.integrator_id}">${endpoint.integrator_id}</a></td><td>${endpoint.environment}</td>
<td>${badge(endpoint.enabled ? 'enabled' : 'disabled')}${endpoint.disabled_reason ? html` <span class="muted">${endpoint.disabled_reason}</span>` : ''}</td><td>${endpoint.failing_since ? when(endpoint.failing_since) : html`<span class="muted">—</span>`}</td></tr>`,
    );
    return sendPage(
      reply,
      200,
      page({
        title: 'Webhooks',
        session: request.consoleSession,
        current: '/console/webhooks',
        body: html`<h2>Endpoints</h2>
${rows.length ? html`<table><caption class="visually-hidden">Webhook endpoints</caption><thead><tr><th scope="col">URL</th><th scope="col">Integrator</th><th scope="col">Environment</th><th scope="col">State</th><th scope="col">Failing since</th></tr></thead><tbody>${rows}</tbody></table>` : html`<p class="empty">No webhook endpoints. Integrators register them with the admin API (<code>POST /admin/v1/webhook-endpoints</code>) or <code>gatehouse webhooks</code>.</p>`}
${nextPageLink('/console/webhooks', list.next_cursor)}
<h2>Recent failed deliveries</h2>
${failed.data.length ? deliveryTable(failed.data) : html`<p class="empty">No failed deliveries.</p>`}`,
      }),
    );
  });

  scope.get('/webhooks/:id', async (request, reply) => {
    const endpoint = await endpoints.get(idParam(request.params, 'Webhook endpoint'));
    const cursor = queryParam(request.query, 'cursor');
    const deliveries = await operations.listDeliveries({ endpointId: endpoint.id }, PAGE_SIZE, cursor);
    return sendPage(
      reply,
      200,
      page({
        title: `Webhook endpoint ${endpoint.url}`,
        session: request.consoleSession,
        current: '/console/webhooks',
        body: html`<dl class="facts"><dt>State</dt><dd>${badge(endpoint.enabled ? 'enabled' : 'disabled')} ${endpoint.disabled_reason ?? ''}</dd>
<dt>Integrator</dt><dd><a href="/console/integrators/${endpoint.integrator_id}">${endpoint.integrator_id}</a></dd>
<dt>Environment</dt><dd>${endpoint.environment}</dd><dt>Event types</dt><dd>${endpoint.event_types.map((t, i) => html`${i ? ' ' : ''}<code>${t}</code>`)}</dd>
<dt>Signing</dt><dd>${endpoint.signing_scheme}, ${endpoint.secrets.length} live secret(s)</dd><dt>Failing since</dt><dd>${when(endpoint.failing_since)}</dd></dl>
<h2>Deliveries</h2>
${deliveries.data.length ? deliveryTable(deliveries.data) : html`<p class="empty">Nothing was delivered to this endpoint yet.</p>`}
${nextPageLink(`/console/webhooks/${endpoint.id}`, deliveries.next_cursor)}`,
      }),
    );
  });

  scope.get('/deliveries/:id', async (request, reply) => {
    const session = request.consoleSession;
    const delivery = await operations.getDelivery(idParam(request.params, 'Webhook delivery'));
    const cursor = queryParam(request.query, 'cursor');
    const attempts = await operations.listAttempts(delivery.id, PAGE_SIZE, cursor);
    const rows = attempts.data.map(
      (
        attempt,
      ) => html`<tr><td>${attempt.attempt}</td><td>${when(attempt.started_at)}</td><td>${attempt.status_code ?? '—'}</td><td>${attempt.duration_ms} ms</td>
<td>${attempt.error ?? ''}</td><td>${attempt.response_body === null ? html`<span class="muted">—</span>` : html`<pre class="excerpt">${attempt.response_body}</pre>`}</td></tr>`,
    );
    const replay =
      mayChange(session) && session
        ? html`<form method="post" action="/console/deliveries/${delivery.id}/replay" class="inline">${csrfFields(session)}<button type="submit">Replay this delivery</button>
<span class="hint">Sends the same message to this endpoint again, with a new attempt schedule.</span></form>`
        : '';
    return sendPage(
      reply,
      200,
      page({
        title: 'Webhook delivery',
        session,
        current: '/console/webhooks',
        body: html`${noticeOf(queryParam(request.query, 'notice'))}
<dl class="facts"><dt>Status</dt><dd>${badge(delivery.status)}</dd><dt>Endpoint</dt><dd><a href="/console/webhooks/${delivery.endpoint_id}">${delivery.endpoint_id}</a></dd>
<dt>Message</dt><dd><code>${delivery.message_id}</code></dd><dt>Attempts</dt><dd>${delivery.attempts}</dd>
<dt>Last response</dt><dd>${delivery.last_status_code ?? '—'} ${delivery.last_error ?? ''}</dd><dt>Next attempt</dt><dd>${when(delivery.next_attempt_at)}</dd></dl>
${replay}
<h2>Attempts</h2>
${rows.length ? html`<table><caption class="visually-hidden">Delivery attempts</caption><thead><tr><th scope="col">#</th><th scope="col">Started</th><th scope="col">Status</th><th scope="col">Latency</th><th scope="col">Error</th><th scope="col">Response (start)</th></tr></thead><tbody>${rows}</tbody></table>` : html`<p class="empty">No attempt yet; the first is due ${when(delivery.next_attempt_at)}.</p>`}
${nextPageLink(`/console/deliveries/${delivery.id}`, attempts.next_cursor)}`,
      }),
    );
  });

  scope.post('/deliveries/:id/replay', async (request, reply) => {
    const delivery = await operations.getDelivery(idParam(request.params, 'Webhook delivery'));
    await operations.replayMessage(delivery.message_id, delivery.endpoint_id, auditContextOf(request));
    return reply.redirect(`/console/deliveries/${delivery.id}?notice=delivery_replayed`, 303);
  });
}

function deliveryTable(deliveries: readonly WebhookDelivery[]): SafeHtml {
  return html`<table><caption class="visually-hidden">Deliveries</caption><thead><tr><th scope="col">Delivery</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Last response</th><th scope="col">Last attempt</th></tr></thead>
<tbody>${deliveries.map(
    (d) =>
      html`<tr><td><a href="/console/deliveries/${d.id}">${d.id}</a></td><td>${badge(d.status)}</td><td>${d.attempts}</td><td>${d.last_status_code ?? '—'} ${d.last_error ?? ''}</td><td>${when(d.last_attempt_at)}</td></tr>`,
  )}</tbody></table>`;
}
