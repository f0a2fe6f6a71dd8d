import type { ErrorCode } from './problem-codes.ts';

/** One field the server refused, from a problem's `errors[]`. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

interface ErrorInit {
  readonly status?: number | undefined;
  readonly code?: ErrorCode | undefined;
  readonly requestId?: string | undefined;
  readonly body?: unknown;
  readonly cause?: unknown;
}

/**
 * The base of every error this client throws. The message is generic (status, code, request id);
 * the server's raw answer is on the non-enumerable `body`, so logging the error never prints it.
 */
export class GatehouseError extends Error {
  override name = 'GatehouseError';
  /** The HTTP status, or undefined when no answer arrived. */
  readonly status: number | undefined;
  /** The problem `code` (or OAuth `error`) the server answered with. */
  readonly code: ErrorCode | undefined;
  /** The request id to quote to the provider. */
  readonly requestId: string | undefined;
  declare readonly body: unknown;

  constructor(message: string, init: ErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId;
    Object.defineProperty(this, 'body', { value: init.body, enumerable: false });
  }
}

/** 401: the credential is missing, unknown, revoked or expired. */
export class AuthenticationError extends GatehouseError {
  override name = 'AuthenticationError';
}

/** 403: the credential may not do this (scope, address, environment). */
export class PermissionError extends GatehouseError {
  override name = 'PermissionError';
}

/** 404: no such route or resource. */
export class NotFoundError extends GatehouseError {
  override name = 'NotFoundError';
}

/** 400, 413, 415, 422: the request was refused as sent; `fields` names each bad field. */
export class ValidationError extends GatehouseError {
  override name = 'ValidationError';
  readonly fields: readonly FieldError[];
  constructor(message: string, init: ErrorInit & { fields?: readonly FieldError[] }) {
    super(message, init);
    this.fields = init.fields ?? [];
  }
}

/** 429: over a limit; `retryAfter` is the seconds the server asked to wait (when it said). */
export class RateLimitError extends GatehouseError {
  override name = 'RateLimitError';
  readonly retryAfter: number | undefined;
  constructor(message: string, init: ErrorInit & { retryAfter?: number | undefined }) {
    super(message, init);
    this.retryAfter = init.retryAfter;
  }
}

/** 5xx: something failed on the provider's side or behind it. */
export class ServerError extends GatehouseError {
  override name = 'ServerError';
}

/** No answer: connection refused or reset, TLS failure, or a timeout (`timeout` says which). */
export class NetworkError extends GatehouseError {
  override name = 'NetworkError';
  readonly timeout: 'connect' | 'total' | undefined;
  constructor(message: string, init: ErrorInit & { timeout?: 'connect' | 'total' | undefined }) {
    super(message, init);
    this.timeout = init.timeout;
  }
}

/** The error for an answer with status >= 400, by status, with its problem fields read. */
export function errorForResponse(
  status: number,
  body: unknown,
  requestId: string | undefined,
  retryAfter: number | undefined,
): GatehouseError {
  const problem = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const code =
    typeof problem.code === 'string'
      ? problem.code
      : typeof problem.error === 'string'
        ? problem.error
        : undefined;
  const id = requestId ?? (typeof problem.request_id === 'string' ? problem.request_id : undefined);
  const init = { status, code, requestId: id, body };
  const message = `Gatehouse answered ${status}${code ? ` ${code}` : ''}${id ? ` (request ${id})` : ''}`;
  if (status === 401) return new AuthenticationError(message, init);
  if (status === 403) return new PermissionError(message, init);
  if (status === 404) return new NotFoundError(message, init);
  if (status === 429) return new RateLimitError(message, { ...init, retryAfter });
  if (status >= 500) return new ServerError(message, init);
  if ([400, 413, 414, 415, 422, 431].includes(status)) {
    return new ValidationError(message, { ...init, fields: fieldsOf(problem.errors) });
  }
  return new GatehouseError(message, init);
}

function fieldsOf(errors: unknown): FieldError[] {
  if (!Array.isArray(errors)) return [];
  return errors
    .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
    .map((e) => ({ field: String(e.field ?? ''), message: String(e.message ?? '') }));
}
