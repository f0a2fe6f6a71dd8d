import type { FastifyInstance } from 'fastify';
import type { AuditLog, VerifyResult } from '../audit/audit-log.ts';
import type { Database } from '../db/database.ts';
import { decodeCursor, pageOf } from '../http/pagination.ts';
import { queryParam } from './form-schema.ts';
import { html } from './html.ts';
import { nextPageLink, page, sendPage, when } from './layout.ts';

export interface AuditPageDeps {
  readonly audit: AuditLog;
  readonly database: Database;
}

const PAGE_SIZE = 50;

const BROKEN_REASONS: Readonly<Record<string, string>> = {
  entry_modified: 'the entry was changed after it was written',
  chain_broken: 'the entry does not link to the one before it (an entry was inserted or replaced)',
  entries_missing: 'entries are missing before this one (deleted)',
  head_mismatch: 'the newest entries were removed (the chain head does not match)',
  checkpoint_mismatch: 'the chain does not match a signed checkpoint',
  checkpoint_signature_invalid: 'a signed checkpoint does not verify with the audit signing key',
};

/** `/console/audit`: the hash-chained audit log, newest first, and a button that verifies it (L3). */
export function registerAuditPages(scope: FastifyInstance, { audit, database }: AuditPageDeps): void {
  scope.get('/audit', async (request, reply) => {
    const cursor = queryParam(request.query, 'cursor');
    const action = queryParam(request.query, 'action', 100);
    const beforeSeq = cursor === undefined ? undefined : decodeCursor<number>(cursor, 'number');
    const entries = await audit.list(database.db, { limit: PAGE_SIZE + 1, beforeSeq, action });
    const list = pageOf(
      entries,
      PAGE_SIZE,
      (entry) => entry,
      (entry) => entry.seq,
    );
    const rows = list.data.map(
      (
        entry,
      ) => html`<tr><td>${entry.seq}</td><td>${when(entry.time)}</td><td>${entry.actor.name} <span class="muted">(${entry.actor.type})</span></td>
<td><code>${entry.action}</code></td><td>${entry.target.type} <code>${entry.target.id ?? ''}</code></td><td>${entry.ip ?? ''}</td>
<td>${entry.after === null && entry.before === null ? '' : html`<details><summary>Change</summary><pre>${JSON.stringify({ before: entry.before, after: entry.after }, null, 2)}</pre></details>`}</td></tr>`,
    );
    return sendPage(
      reply,
      200,
      page({
        title: 'Audit log',
        session: request.consoleSession,
        current: '/console/audit',
        body: html`<form method="get" action="/console/audit/verify" class="inline"><button type="submit">Verify the chain</button>
<span class="hint">Checks every entry’s hash link and the signed checkpoints; shows the first broken link.</span></form>
<form method="get" action="/console/audit" class="inline"><label for="action">Action</label><input id="action" name="action" value="${action ?? ''}" maxlength="100" placeholder="key.revoke"><button type="submit">Filter</button></form>
${rows.length ? html`<table><caption class="visually-hidden">Audit entries</caption><thead><tr><th scope="col">Seq</th><th scope="col">Time</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Target</th><th scope="col">IP</th><th scope="col">Details</th></tr></thead><tbody>${rows}</tbody></table>` : html`<p class="empty">No audit entries${action ? ` for ${action}` : ''}. Every change made in the console, the admin API or the CLI is recorded here.</p>`}
${nextPageLink('/console/audit', list.next_cursor, { action })}`,
      }),
    );
  });

  scope.get('/audit/verify', async (request, reply) => {
    const result = await audit.verify(database.db);
    return sendPage(
      reply,
      200,
      page({
        title: 'Audit chain verification',
        session: request.consoleSession,
        current: '/console/audit',
        body: verifyView(result),
      }),
    );
  });
}

function verifyView(result: VerifyResult) {
  const scope = html`${result.entries_checked} entries checked${result.started_after === null ? ' from the first entry' : html`, starting after the checkpoint at entry ${result.started_after}`}.`;
  if (result.ok) {
    return html`<p class="notice verify-ok" role="status"><strong>The audit chain verifies.</strong> ${scope}</p><p><a href="/console/audit">Back to the audit log</a></p>`;
  }
  const broken = result.first_broken;
  return html`<div class="problem verify-broken" role="alert"><p><strong>The audit chain is broken.</strong> ${scope}</p>
${broken ? html`<p>First broken link: entry <strong>${broken.seq}</strong>${broken.id ? html` (<code>${broken.id}</code>)` : ''}: ${BROKEN_REASONS[broken.reason] ?? broken.reason}.</p>` : ''}
<p>Compare with an exported copy (<code>gatehouse audit export</code>) to see what changed.</p></div>
<p><a href="/console/audit">Back to the audit log</a></p>`;
}
