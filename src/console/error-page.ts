import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../http/api-error.ts';
import { PROBLEM_CODES, type ProblemCode } from '../http/problem-codes.ts';
import { html } from './html.ts';
import { page, sendPage } from './layout.ts';

/** Framework refusals a browser can cause, as the problem codes the admin API uses for them. */
const FRAMEWORK_CODES: Readonly<Record<string, readonly [ProblemCode, string]>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ['body_too_large', 'The form is larger than the console accepts'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['unsupported_media_type', 'Console actions take an HTML form'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['unsupported_media_type', 'Console actions take an HTML form'],
  FST_ERR_CTP_INVALID_JSON_BODY: ['unsupported_media_type', 'Console actions take an HTML form'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['bad_request', 'Content-Length does not match the body'],
  FST_ERR_BAD_URL: ['bad_request', 'The address is not a valid URL; check its percent-encoding'],
  FST_ERR_MAX_PARAM_LENGTH: ['path_too_long', 'A part of the address is longer than any identifier'],
};

/**
 * Every console error as a page: the problem's title, its detail, the fields that were wrong and
 * the request id to quote; anything unexpected is a 500 whose details go only to the log.
 */
export function renderConsoleError(
  error: FastifyError | ApiError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  let code: ProblemCode;
  let detail: string;
  let fields: readonly { field: string; message: string }[] = [];
  if (error instanceof ApiError) {
    code = error.code;
    detail = error.message;
    fields = error.errors ?? [];
    for (const [name, value] of Object.entries(error.headers))
      if (name === 'retry-after') reply.header(name, value);
  } else if (FRAMEWORK_CODES[error.code] !== undefined) {
    [code, detail] = FRAMEWORK_CODES[error.code] as readonly [ProblemCode, string];
  } else {
    request.log.error({ err: error }, 'console request failed');
    code = 'internal_error';
    detail = 'Something failed on Gatehouse’s side; quote the request id when you report it';
  }
  const entry = PROBLEM_CODES[code];
  return sendPage(reply, entry.status, errorPage(request, entry.title, code, detail, fields));
}

/** The console's 404 page (an unknown console address). */
export function renderConsoleNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendPage(
    reply,
    404,
    errorPage(request, 'Not found', 'not_found', 'There is no console page at this address', []),
  );
}

function errorPage(
  request: FastifyRequest,
  title: string,
  code: string,
  detail: string,
  fields: readonly { field: string; message: string }[],
) {
  const list = fields.length
    ? html`<ul class="field-errors">${fields.map((f) => html`<li><code>${f.field.replace(/^\//, '')}</code> ${f.message}</li>`)}</ul>`
    : '';
  return page({
    title,
    session: request.consoleSession ?? null,
    body: html`<div class="problem" role="alert">
<p>${detail}</p>${list}
<p class="muted">Code <code>${code}</code> · request id <code>${request.id}</code></p>
</div>
<p><a href="/console">Back to the console</a></p>`,
  });
}
