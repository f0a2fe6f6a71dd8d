// The public surface of @gatehouse/client. Nothing here imports server code (../../src).
export type { CachedToken } from './access-token.ts';
export {
  type CallOptions,
  type ClientOptions,
  type ClientResponse,
  createClient,
  GatehouseClient,
  type RequestInput,
  type RotateOptions,
  type RotationResult,
  SELF_ROTATE_PATH,
} from './client.ts';
export {
  AuthenticationError,
  type FieldError,
  GatehouseError,
  NetworkError,
  NotFoundError,
  PermissionError,
  RateLimitError,
  ServerError,
  ValidationError,
} from './errors.ts';
export {
  type ErrorCode,
  isProblemCode,
  type OAuthErrorCode,
  PROBLEM_CODES,
  type ProblemCode,
} from './problem-codes.ts';
export type { RequestLogRecord } from './redact.ts';
export type { RetryOptions } from './retry.ts';
export * from './webhooks/index.ts';
