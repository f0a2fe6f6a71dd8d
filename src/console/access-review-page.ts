import type { FastifyInstance } from 'fastify';
import { accessReviewCsv } from '../access-review/access-csv.ts';
import type {
  AccessReviewAdmin,
  AccessReviewEntry,
  AccessReviewReport,
} from '../access-review/access-review.ts';
import { html, type SafeHtml } from './html.ts';
import { scopeList } from './key-views.ts';
import { badge, page, sendPage, when } from './layout.ts';

export interface AccessReviewPageDeps {
  /** The access review (K9), as `GET /admin/v1/reports/access-review` answers it. */
  readonly accessReview: () => Promise<AccessReviewReport>;
}

const CURRENT = '/console/access-review';

/**
 * `/console/access-review`: every credential and admin token that can still be used, as a table,
 * and `/console/access-review.csv`: the same report as the CLI's CSV (`gatehouse report access
 * --format csv`), downloaded as an attachment. Auditor and up, like the API's report.
 */
export function registerAccessReviewPages(
  scope: FastifyInstance,
  { accessReview }: AccessReviewPageDeps,
): void {
  scope.get('/access-review', async (request, reply) => {
    const review = await accessReview();
    const due = review.data.filter((entry) => entry.rotation_due).length;
    const unused = review.data.filter((entry) => entry.unused).length;
    return sendPage(
      reply,
      200,
      page({
        title: 'Access review',
        session: request.consoleSession,
        current: CURRENT,
        body: html`<p>Generated ${when(review.generated_at)}. A secret is due for rotation after ${review.policy.rotation_age_days} days; a credential is unused after ${review.policy.unused_after_days} days without a request.</p>
<p><a href="/console/access-review.csv" download>Download as CSV</a> <span class="hint">(the columns of <code>gatehouse report access --format csv</code>)</span></p>
<h2>Credentials</h2>
<p>${review.data.length} ${review.data.length === 1 ? 'credential' : 'credentials'} that can still be used: ${due} due for rotation, ${unused} unused.</p>
${review.data.length ? credentialTable(review.data) : html`<p class="empty">No API key or OAuth client can be used. They are created from an integrator’s page (<a href="/console/integrators">Integrators</a>) and from <a href="/console/oauth-clients">OAuth clients</a>.</p>`}
<h2>Admin tokens</h2>
${review.admin_tokens.length ? adminTable(review.admin_tokens) : html`<p class="empty">No admin token is in the database; only <code>GATEHOUSE_ADMIN_TOKEN</code> from the environment manages this server. Create others with <code>gatehouse admin token create</code>.</p>`}`,
      }),
    );
  });

  scope.get('/access-review.csv', async (_request, reply) => {
    const review = await accessReview();
    const day = review.generated_at.slice(0, 10);
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="gatehouse-access-review-${day}.csv"`)
      .send(accessReviewCsv(review));
  });
}

function credentialLink(entry: AccessReviewEntry): SafeHtml {
  const path = entry.credential_type === 'api_key' ? 'keys' : 'oauth-clients';
  return html`<a href="/console/${path}/${entry.id}">${entry.name}</a>`;
}

function credentialTable(entries: readonly AccessReviewEntry[]): SafeHtml {
  return html`<table><caption class="visually-hidden">Credentials that can still be used</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Integrator</th><th scope="col">Environment</th><th scope="col">Owner</th><th scope="col">Scopes</th><th scope="col">Status</th><th scope="col">Secret age</th><th scope="col">Last used</th><th scope="col">Addresses</th></tr></thead>
<tbody>${entries.map(
    (entry) =>
      html`<tr><td>${credentialLink(entry)}</td><td class="nowrap">${entry.credential_type === 'api_key' ? 'API key' : 'OAuth client'}</td>
<td><a href="/console/integrators/${entry.integrator_id}">${entry.integrator_name}</a></td><td>${entry.environment}</td><td>${entry.owner ?? html`<span class="muted">—</span>`}</td>
<td>${scopeList(entry.scopes)}</td><td>${badge(entry.status)}</td>
<td class="nowrap">${entry.age_days} days${entry.rotation_due ? html` ${badge('rotation_due')}` : ''}</td>
<td>${when(entry.last_used_at)}${entry.unused ? html` ${badge('unused')}` : ''}</td>
<td>${entry.ips_seen}${entry.recent_ips.length ? html`: ${entry.recent_ips.map((ip, i) => html`${i ? ' ' : ''}<code>${ip}</code>`)}` : ''}</td></tr>`,
  )}</tbody></table>`;
}

function adminTable(tokens: readonly AccessReviewAdmin[]): SafeHtml {
  return html`<table><caption class="visually-hidden">Admin tokens</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Source</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col">Expires</th><th scope="col">Last used</th></tr></thead>
<tbody>${tokens.map(
    (token) =>
      html`<tr><td>${token.name}</td><td>${token.role}</td><td>${token.source}</td><td>${badge(token.status)}</td><td>${when(token.created_at)}</td><td>${when(token.expires_at)}</td>
<td>${when(token.last_used_at)}${token.unused ? html` ${badge('unused')}` : ''}</td></tr>`,
  )}</tbody></table>`;
}
