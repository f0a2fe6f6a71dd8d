import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, type FieldError } from '../http/api-error.ts';
import { fieldErrors } from '../http/field-errors.ts';
import { PROBLEM_CONTENT_TYPE, problemOf } from '../http/problem.ts';

/** Sends one RFC 9457 problem document; the only way an admin error leaves the server. */
export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  code: string,
  detail: string,
  errors?: readonly FieldError[],
  headers: Record<string, string> = {},
): FastifyReply {
  return reply
    .code(status)
    .headers(headers)
    .type(PROBLEM_CONTENT_TYPE)
    .send(problemOf(status, code, detail, request.id, errors));
}

const FRAMEWORK_ERRORS: Record<string, { status: number; code: string; detail: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'unsupported_media_type',
    detail: 'Send the body as application/json',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    code: 'malformed_json',
    detail: 'The body is empty; send a JSON object',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    status: 400,
    code: 'malformed_json',
    detail: 'The body is not valid JSON',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: 'body_too_large',
    detail: 'The body is larger than this endpoint accepts',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'bad_request',
    detail: 'Content-Length does not match the body',
  },
  // Router errors, which reach handleError through the app's frameworkErrors option.
  FST_ERR_BAD_URL: {
    status: 400,
    code: 'bad_request',
    detail: 'The request path is not a valid URL; check its percent-encoding',
  },
  FST_ERR_MAX_PARAM_LENGTH: {
    status: 414,
    code: 'path_too_long',
    detail: 'A path segment is longer than any identifier this API uses',
  },
};

/**
 * Maps every error to problem+json: our own `ApiError`s as they are, schema failures to a 400 that
 * names each bad field, framework errors to stable codes, and anything unexpected to a generic 500
 * whose details go only to the log under the request id.
 */
export function handleError(
  error: FastifyError | ApiError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (error instanceof ApiError) {
    return sendProblem(request, reply, error.status, error.code, error.message, error.errors, {
      ...error.headers,
    });
  }
  if (error.validation) {
    const errors = fieldErrors(error.validation as never, error.validationContext);
    return sendProblem(request, reply, 400, 'validation_failed', 'The request is not valid', errors);
  }
  const known = FRAMEWORK_ERRORS[error.code];
  if (known) return sendProblem(request, reply, known.status, known.code, known.detail);
  if (error instanceof SyntaxError || (error.statusCode === 400 && /json/i.test(error.message))) {
    return sendProblem(request, reply, 400, 'malformed_json', 'The body is not valid JSON');
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    request.log.info({ err_code: error.code }, 'request refused by the framework');
    return sendProblem(request, reply, status, 'bad_request', 'The request cannot be processed');
  }
  request.log.error({ err: error }, 'unexpected error');
  return sendProblem(
    request,
    reply,
    500,
    'internal_error',
    'Something went wrong on our side; quote the request_id to support',
  );
}
