/** One field that failed validation: a JSON pointer into the request and what is wrong with it. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/**
 * An expected failure with a stable machine `code` a client can branch on and text that is safe to
 * show anyone. Internal details belong in the log, never in the message.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly errors: readonly FieldError[] | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { errors?: readonly FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);

export const invalidRequest = (errors: readonly FieldError[], message = 'The request is not valid') =>
  new ApiError(400, 'validation_failed', message, { errors });
