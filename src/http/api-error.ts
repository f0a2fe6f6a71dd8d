import { PROBLEM_CODES, type ProblemCode } from './problem-codes.ts';

/** One field that failed validation: a JSON pointer into the request and what is wrong with it. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/**
 * An expected failure with a stable machine `code` a client can branch on and text that is safe to
 * show anyone; its status is the catalogue's for the code (`problem-codes.ts`). Internal details
 * belong in the log, never in the message.
 *
 * @example
 * throw new ApiError('last_owner', 'The last active owner token cannot be revoked'); // 409
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: ProblemCode;
  readonly errors: readonly FieldError[] | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: ProblemCode,
    message: string,
    options: { errors?: readonly FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = PROBLEM_CODES[code].status;
    this.code = code;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

export const notFound = (what: string) => new ApiError('not_found', `${what} not found`);

export const invalidRequest = (errors: readonly FieldError[], message = 'The request is not valid') =>
  new ApiError('validation_failed', message, { errors });
