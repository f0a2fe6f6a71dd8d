import type { FastifyInstance } from 'fastify';
import { auditContextOf } from '../audit/audit-context.ts';
import { invalidRequest } from '../http/api-error.ts';
import type { EventCatalog } from '../webhooks/event-catalog.ts';
import type { EventType } from '../webhooks/event-type.ts';
import { CreateEventTypeBody } from '../webhooks/event-type-schemas.ts';
import { formOf, textField } from './console-request.ts';
import type { ConsoleSession } from './console-sessions.ts';
import { formValidator, queryParam } from './form-schema.ts';
import { html, type SafeHtml } from './html.ts';
import { csrfFields, mayChange, nextPageLink, noticeOf, page, sendPage, when } from './layout.ts';

export interface EventTypePageDeps {
  readonly webhooks: { readonly catalog: EventCatalog };
}

const PAGE_SIZE = 25;
const CURRENT = '/console/event-types';
type CreateEventTypeInput = { name: string; description?: string; schema: Record<string, unknown> };
const validateCreate = formValidator<CreateEventTypeInput>(CreateEventTypeBody);

/** `/console/event-types`: the webhook event catalog (W1), and declaring a type with its schema. */
export function registerEventTypePages(
  scope: FastifyInstance,
  { webhooks: { catalog } }: EventTypePageDeps,
): void {
  scope.get('/event-types', async (request, reply) => {
    const session = request.consoleSession;
    const list = await catalog.list(PAGE_SIZE, queryParam(request.query, 'cursor'));
    const canCreate = mayChange(session) && session !== null;
    return sendPage(
      reply,
      200,
      page({
        title: 'Event types',
        session,
        current: CURRENT,
        body: html`${noticeOf(queryParam(request.query, 'notice'))}
<p class="hint">Webhook endpoints subscribe to these types; every published event’s data must match its type’s JSON Schema.</p>
${list.data.length ? eventTypeTable(list.data) : html`<p class="empty">The catalog is empty.${canCreate ? ' Declare the first event type below.' : ' An admin declares event types here or with POST /admin/v1/event-types.'}</p>`}
${nextPageLink(CURRENT, list.next_cursor)}
${canCreate && session ? createForm(session) : ''}`,
      }),
    );
  });

  scope.post('/event-types', async (request, reply) => {
    const form = formOf(request);
    const description = textField(form, 'description');
    const input = validateCreate({
      name: textField(form, 'name') ?? '',
      ...(description === undefined ? {} : { description }),
      schema: schemaField(textField(form, 'schema')),
    });
    await catalog.create(input, auditContextOf(request));
    return reply.redirect(`${CURRENT}?notice=event_type_created`, 303);
  });
}

/** The schema textarea as JSON; text that is not JSON is a field error, not a 500. */
function schemaField(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw invalidRequest([{ field: '/schema', message: 'is not valid JSON' }], 'The form is not valid');
  }
}

function eventTypeTable(types: readonly EventType[]): SafeHtml {
  return html`<table><caption class="visually-hidden">Event types</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Description</th><th scope="col" class="nowrap">Version</th><th scope="col">Created</th><th scope="col">Schema of its data</th></tr></thead>
<tbody>${types.map(
    (type) =>
      html`<tr><td class="nowrap"><code>${type.name}</code></td><td>${type.description || html`<span class="muted">—</span>`}</td><td>${type.version}</td><td>${when(type.created_at)}</td>
<td><details><summary>Schema of ${type.name}</summary><pre class="excerpt">${JSON.stringify(type.schema, null, 2)}</pre></details></td></tr>`,
  )}</tbody></table>`;
}

function createForm(session: ConsoleSession): SafeHtml {
  return html`<section aria-labelledby="new-event-type"><h2 id="new-event-type">New event type</h2>
<form method="post" action="/console/event-types" class="stack">${csrfFields(session)}
<label for="event-type-name">Name (dotted, e.g. invoice.paid)</label><input id="event-type-name" name="name" required maxlength="200" pattern="[A-Za-z0-9_]{1,64}(\\.[A-Za-z0-9_]{1,64}){0,7}">
<label for="event-type-description">Description (optional)</label><input id="event-type-description" name="description" maxlength="1000">
<label for="event-type-schema">JSON Schema (draft-07) every event’s data must match</label><textarea id="event-type-schema" name="schema" rows="8" required maxlength="60000" spellcheck="false">{ "type": "object" }</textarea>
<button type="submit">Create event type</button></form></section>`;
}
