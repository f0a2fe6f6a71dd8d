import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Agent, request } from 'undici';
import { type Env, EnvReader } from '../config/env-reader.ts';
import type { Secret } from '../crypto/secret.ts';

/** One entry of a problem's `errors[]`: the field (a JSON pointer) and what is wrong with it. */
export interface ProblemFieldError {
  readonly field: string;
  readonly message: string;
}

export class AdminApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | undefined;
  readonly errors: readonly ProblemFieldError[];

  constructor(
    status: number,
    code: string,
    message: string,
    requestId?: string,
    errors: readonly ProblemFieldError[] = [],
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.errors = errors;
  }
}

/** The well-formed entries of a problem's `errors[]` (anything else in it is ignored). */
function fieldErrorsOf(value: unknown): ProblemFieldError[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry: unknown) => {
    const { field, message } = (entry ?? {}) as Record<string, unknown>;
    return typeof field === 'string' && typeof message === 'string' ? [{ field, message }] : [];
  });
}

export interface AdminClient {
  call<T>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<T>;
  close(): Promise<void>;
}

/**
 * Talks to a running Gatehouse's admin API, so every change goes through the server: audited, and
 * seen at once by its credential caches. Reads GATEHOUSE_ADMIN_URL, GATEHOUSE_ADMIN_TOKEN(_FILE)
 * and GATEHOUSE_CA_FILE (default: the development CA in the data directory).
 */
export function createAdminClient(env: Env): AdminClient {
  const read = new EnvReader(env);
  const explicitUrl = read.optionalString('GATEHOUSE_ADMIN_URL');
  const baseUrl = (
    explicitUrl ?? `https://127.0.0.1:${read.integer('GATEHOUSE_ADMIN_PORT', 9443, 1, 65535)}`
  ).replace(/\/$/, '');
  const token: Secret | undefined = read.secret('GATEHOUSE_ADMIN_TOKEN');
  const devCa = join(resolve(read.string('GATEHOUSE_DATA_DIR', './data')), 'tls', 'ca.pem');
  const caFile = read.optionalString('GATEHOUSE_CA_FILE') ?? (existsSync(devCa) ? devCa : undefined);
  if (!baseUrl.startsWith('https://')) read.problem('GATEHOUSE_ADMIN_URL must be an https:// URL');
  if (!token) read.problem('set GATEHOUSE_ADMIN_TOKEN (or GATEHOUSE_ADMIN_TOKEN_FILE) to an admin token');
  if (read.problems.length > 0) throw new Error(read.problems.join('\n'));

  const dispatcher = new Agent({
    connect: caFile ? { ca: readFileSync(caFile) } : {},
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
  });
  return {
    async call<T>(
      method: 'GET' | 'POST' | 'PUT' | 'DELETE',
      path: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ): Promise<T> {
      const response = await request(`${baseUrl}${path}`, {
        method,
        dispatcher,
        headers: {
          authorization: `Bearer ${token?.reveal()}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? null : JSON.stringify(body),
      });
      const text = await response.body.text();
      const parsed = parseJson(text);
      if (response.statusCode >= 400) {
        throw new AdminApiError(
          response.statusCode,
          String(parsed?.code ?? 'error'),
          String(parsed?.detail ?? parsed?.title ?? `HTTP ${response.statusCode}`),
          parsed?.request_id as string | undefined,
          fieldErrorsOf(parsed?.errors),
        );
      }
      return parsed as T;
    },
    close: () => dispatcher.close(),
  };
}

/** A response body as an object; a proxy's HTML error page or an empty body is undefined. */
function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = text === '' ? undefined : JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
