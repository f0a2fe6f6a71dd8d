import type { IncomingMessage, ServerResponse } from 'node:http';
import { type BodyValidator, isJsonMediaType } from './body-schema.ts';
import { sendProblem } from './gateway-response.ts';
import { readRequestBody } from './request-body.ts';
import type { RequestEndings, RequestLogWriter } from './request-endings.ts';
import type { RequestHeaders } from './request-headers.ts';
import type { RequestRecord } from './request-log.ts';

/** One request whose body the gateway reads before it forwards anything. */
export interface BodyRead {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly record: RequestRecord;
  readonly headers: RequestHeaders;
  readonly maxBodyBytes: number;
}

/** The body read into memory; null when the request was answered instead (413, client gone). */
export async function readWholeBody(read: BodyRead, endings: RequestEndings): Promise<Buffer | null> {
  if (read.headers.expectContinue) read.res.writeContinue();
  const body = await readRequestBody(read.req, read.maxBodyBytes);
  if (!body.ok) {
    if (body.reason === 'too_large') endings.bodyTooLarge(read.res, read.record, read.maxBodyBytes);
    else endings.clientClosed(read.res, read.record);
    return null;
  }
  read.record.bodyPending = false;
  return body.body;
}

/**
 * The body of a route with a `body_schema`, read whole and checked (T4); null when the request was
 * answered instead (415, 413, 400 naming each field, or the client went away).
 */
export async function readCheckedBody(
  read: BodyRead,
  validate: BodyValidator,
  endings: RequestEndings,
  log: RequestLogWriter,
): Promise<Buffer | null> {
  if (!isJsonMediaType(read.headers.contentType)) {
    endings.refuse(read.res, read.record, 'unsupported_media_type', 'Send the body as application/json');
    return null;
  }
  const body = await readWholeBody(read, endings);
  if (body === null) return null;
  const verdict = validate(body);
  if (verdict.ok) return body;
  const { record } = read;
  record.code = verdict.code;
  sendProblem(read.res, record.requestId, 400, verdict.code, verdict.detail, null, {
    tls: true,
    ...(verdict.errors ? { errors: verdict.errors } : {}),
  });
  log(record, 400);
  return null;
}
