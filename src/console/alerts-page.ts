import type { FastifyInstance } from 'fastify';
import type { AlertService } from '../alerts/alert-service.ts';
import { auditContextOf } from '../audit/audit-context.ts';
import type { SecurityEvents } from '../monitor/security-events.ts';
import { idParam, queryParam } from './form-schema.ts';
import { html } from './html.ts';
import { badge, csrfFields, mayChange, nextPageLink, noticeOf, page, sendPage, when } from './layout.ts';

export interface AlertPageDeps {
  readonly alerts: AlertService;
  readonly securityEvents: SecurityEvents;
}

const PAGE_SIZE = 25;
const STATUSES = ['open', 'acknowledged'] as const;

/** `/console/alerts`: alerts (acknowledge) and the security events behind them (L4). */
export function registerAlertPages(scope: FastifyInstance, { alerts, securityEvents }: AlertPageDeps): void {
  scope.get('/alerts', async (request, reply) => {
    const session = request.consoleSession;
    const wanted = queryParam(request.query, 'status');
    const status = STATUSES.find((s) => s === wanted);
    const list = await alerts.list({ limit: PAGE_SIZE, cursor: queryParam(request.query, 'cursor'), status });
    const canChange = mayChange(session) && session !== null;
    const rows = list.data.map(
      (
        alert,
      ) => html`<tr><td><code>${alert.rule}</code></td><td>${alert.subject}</td><td>${badge(alert.status)}</td><td>${alert.count}</td><td>${when(alert.first_seen)}</td><td>${when(alert.last_seen)}</td>
<td>${canChange && session && alert.status === 'open' ? html`<form method="post" action="/console/alerts/${alert.id}/acknowledge" class="inline">${csrfFields(session)}<button type="submit" aria-label="Acknowledge ${alert.rule} alert for ${alert.subject}">Acknowledge</button></form>` : alert.acknowledged_by ? html`by ${alert.acknowledged_by}` : ''}</td></tr>`,
    );
    return sendPage(
      reply,
      200,
      page({
        title: 'Alerts',
        session,
        current: '/console/alerts',
        body: html`${noticeOf(queryParam(request.query, 'notice'))}
<form method="get" action="/console/alerts" class="inline"><label for="status">Status</label><select id="status" name="status"><option value="">any</option>${STATUSES.map((s) => html`<option${s === status ? html` selected` : ''}>${s}</option>`)}</select><button type="submit">Show</button></form>
${rows.length ? html`<table><caption class="visually-hidden">Alerts</caption><thead><tr><th scope="col">Rule</th><th scope="col">Subject</th><th scope="col">Status</th><th scope="col">Count</th><th scope="col">First seen</th><th scope="col">Last seen</th><th scope="col">Action</th></tr></thead><tbody>${rows}</tbody></table>` : html`<p class="empty">No ${status ?? ''} alerts. Detectors raise them for authentication failures, new IPs, volume spikes, leaks and more.</p>`}
${nextPageLink('/console/alerts', list.next_cursor, { status })}
<p><a href="/console/security-events">Security events</a></p>`,
      }),
    );
  });

  scope.post('/alerts/:id/acknowledge', async (request, reply) => {
    await alerts.acknowledge(idParam(request.params, 'Alert'), auditContextOf(request));
    return reply.redirect('/console/alerts?notice=alert_acknowledged', 303);
  });

  scope.get('/security-events', async (request, reply) => {
    const list = await securityEvents.list({ limit: PAGE_SIZE, cursor: queryParam(request.query, 'cursor') });
    const rows = list.data.map(
      (
        event,
      ) => html`<tr><td>${when(event.timestamp)}</td><td><code>${event.event}</code></td><td>${event.source}</td><td>${event.credential_id ?? ''}</td><td>${event.ip ?? ''}</td>
<td><details><summary>Details</summary><pre>${JSON.stringify(event.details, null, 2)}</pre></details></td></tr>`,
    );
    return sendPage(
      reply,
      200,
      page({
        title: 'Security events',
        session: request.consoleSession,
        current: '/console/alerts',
        body: html`${rows.length ? html`<table><caption class="visually-hidden">Security events</caption><thead><tr><th scope="col">Time</th><th scope="col">Event</th><th scope="col">Source</th><th scope="col">Credential</th><th scope="col">IP</th><th scope="col">Details</th></tr></thead><tbody>${rows}</tbody></table>` : html`<p class="empty">No security events recorded.</p>`}
${nextPageLink('/console/security-events', list.next_cursor)}`,
      }),
    );
  });
}
