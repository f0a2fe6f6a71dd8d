import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Agent, request } from 'undici';
import { type Env, EnvReader } from '../config/env-reader.ts';
import type { Secret } from '../crypto/secret.ts';

export class AdminApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | undefined;
  /** The problem's `errors`: each field (or file) and what is wrong with it. */
  readonly errors: readonly { readonly field: string; readonly message: string }[];

  constructor(
    status: number,
    code: string,
    message: string,
    requestId?: string,
    errors: readonly { readonly field: string; readonly message: string }[] = [],
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.errors = errors;
  }
}

export interface AdminClient {
  call<T>(
    method: 'GET' | 'POST' | 'PUT',
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
      method: 'GET' | 'POST' | 'PUT',
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
      const parsed = text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>);
      if (response.statusCode >= 400) {
        throw new AdminApiError(
          response.statusCode,
          String(parsed?.code ?? 'error'),
          String(parsed?.detail ?? `HTTP ${response.statusCode}`),
          parsed?.request_id as string | undefined,
          Array.isArray(parsed?.errors) ? (parsed.errors as AdminApiError['errors']) : [],
        );
      }
      return parsed as T;
    },
    close: () => dispatcher.close(),
  };
}
