import type { FastifyInstance } from 'fastify';
import type { ChecklistReport } from '../ops/checklist-report.ts';
import { html } from './html.ts';
import { badge, page, sendPage, when } from './layout.ts';

/** The deployment checklist as `GET /admin/v1/checklist` answers it (O1; built in `ops/`). */
export type { ChecklistReport };

export interface ChecklistPageDeps {
  /** Absent until the checklist service is wired: the page then says so. */
  readonly checklist?: (() => Promise<ChecklistReport>) | undefined;
}

/** `/console/checklist`: the security checklist of this deployment, each failed check with its fix. */
export function registerChecklistPage(scope: FastifyInstance, { checklist }: ChecklistPageDeps): void {
  scope.get('/checklist', async (request, reply) => {
    const report = checklist ? await checklist() : undefined;
    const body = report
      ? html`<p>Overall: ${badge(report.status)} · checked ${when(report.checked_at)}</p>
<table><caption class="visually-hidden">Checks</caption><thead><tr><th scope="col">Check</th><th scope="col">Status</th><th scope="col">Detail</th><th scope="col">Fix</th></tr></thead>
<tbody>${report.checks.map((check) => html`<tr><td>${check.title}</td><td>${badge(check.status)}</td><td>${check.detail}</td><td>${check.status === 'pass' ? '' : check.fix}</td></tr>`)}</tbody></table>`
      : html`<p class="empty">The checklist is not available yet on this server. Run <code>gatehouse doctor</code> on the server for the same checks.</p>`;
    return sendPage(
      reply,
      200,
      page({ title: 'Checklist', session: request.consoleSession, current: '/console/checklist', body }),
    );
  });
}
