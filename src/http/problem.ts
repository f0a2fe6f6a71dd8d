import { STATUS_CODES } from 'node:http';
import type { FieldError } from './api-error.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** An RFC 9457 problem document with Gatehouse's stable `code` and the `request_id`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  request_id: string;
  errors?: readonly FieldError[];
}

export function problemOf(
  status: number,
  code: string,
  detail: string,
  requestId: string,
  errors?: readonly FieldError[],
): Problem {
  const problem: Problem = {
    type: `urn:gatehouse:problem:${code}`,
    title: STATUS_CODES[status] ?? 'Error',
    status,
    code,
    detail,
    request_id: requestId,
  };
  if (errors && errors.length > 0) problem.errors = errors;
  return problem;
}
