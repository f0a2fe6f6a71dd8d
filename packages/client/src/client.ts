import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AccessTokenCache } from './access-token.ts';
import { type Credential, checkBaseUrl, resolveCredential } from './credentials.ts';
import { errorForResponse, GatehouseError, NetworkError } from './errors.ts';
import { KnownSecrets, type LogEntry, logRecord, type RequestLogRecord } from './redact.ts';
import { backoffMs, parseRetryAfter, type RetryOptions } from './retry.ts';
import { createTransport, parseBody, type RawResponse, requestIdOf } from './transport.ts';

export interface ClientOptions {
  /** The Gatehouse data URL, e.g. `https://api.example.com`. */
  readonly baseUrl: string;
  /** An API key; default `GATEHOUSE_API_KEY`. */
  readonly apiKey?: string;
  /** An OAuth client (client credentials); default `GATEHOUSE_CLIENT_ID` and `GATEHOUSE_CLIENT_SECRET`. */
  readonly clientId?: string;
  readonly clientSecret?: string;
  /** The scopes to ask the token endpoint for (default: all the client's scopes). */
  readonly scope?: string;
  /** Extra CA certificates to trust (PEM). Validation itself cannot be turned off. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Connect timeout per attempt (default 5 s) and total time per call, retries included (30 s). */
  readonly timeouts?: { readonly connectMs?: number; readonly totalMs?: number };
  readonly retries?: RetryOptions;
  /** Receives one already-redacted record per attempt. */
  readonly logger?: (record: RequestLogRecord) => void;
  /** Allows `http://` for localhost, 127.0.0.1 and [::1] only (development). */
  readonly allowInsecureLocalhost?: boolean;
  /** Refresh a token this long before it expires (default 60 s or half its lifetime if shorter). */
  readonly tokenRefreshMarginMs?: number;
  /** Where the defaults are read from (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface CallOptions {
  readonly headers?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string | number | boolean>>;
  /** Your own Idempotency-Key (POSTs get one automatically). */
  readonly idempotencyKey?: string;
}

export interface RequestInput extends CallOptions {
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
}

/** A call's parsed body beside its status, headers and request id. */
export interface ClientResponse<T = unknown> {
  readonly data: T;
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly requestId: string | undefined;
}

export interface RotateOptions {
  /** Seconds the old credential keeps working (the server bounds it by its policy). */
  readonly overlap?: number;
  /** Stores the new secret (e.g. in a vault) before the client switches to it. */
  readonly persist: (secret: string, info: RotationResult) => void | Promise<void>;
}

export interface RotationResult {
  readonly id: string | undefined;
  readonly previousExpiresAt: string | undefined;
}

export const SELF_ROTATE_PATH = '/gatehouse/v1/credentials/self/rotate';
const VERSION = '0.1.0';

/**
 * A Gatehouse API client: HTTPS only, retries with backoff, OAuth tokens cached and refreshed,
 * typed errors, and key rotation without a failed request.
 * @example
 * const client = createClient({ baseUrl: 'https://api.example.com' }); // key from GATEHOUSE_API_KEY
 * const orders = await client.get('/v1/orders');
 */
export function createClient(options: ClientOptions): GatehouseClient {
  return new GatehouseClient(options);
}

export class GatehouseClient {
  #credential: Credential;
  readonly #base: URL;
  readonly #transport;
  readonly #tokens: AccessTokenCache | undefined;
  readonly #connectMs: number;
  readonly #totalMs: number;
  readonly #retry: Required<RetryOptions>;
  readonly #logger: ((record: RequestLogRecord) => void) | undefined;
  readonly #scope: string | undefined;
  /** Every secret this client held lately, so the logger hook never sees one even in a path. */
  readonly #known = new KnownSecrets();

  constructor(options: ClientOptions) {
    this.#base = checkBaseUrl(options.baseUrl, options.allowInsecureLocalhost === true);
    this.#credential = resolveCredential(options, options.env ?? process.env);
    this.#remember(this.#credential);
    this.#transport = createTransport(options.ca === undefined ? {} : { ca: options.ca });
    this.#connectMs = options.timeouts?.connectMs ?? 5_000;
    this.#totalMs = options.timeouts?.totalMs ?? 30_000;
    this.#retry = {
      max: options.retries?.max ?? 3,
      baseDelayMs: options.retries?.baseDelayMs ?? 200,
      maxDelayMs: options.retries?.maxDelayMs ?? 10_000,
    };
    this.#logger = options.logger;
    this.#scope = options.scope;
    this.#tokens =
      this.#credential.kind === 'oauth'
        ? new AccessTokenCache(() => this.#fetchToken(), options.tokenRefreshMarginMs)
        : undefined;
  }

  /** GET `path`; resolves to the parsed body. */
  async get<T = unknown>(path: string, options: CallOptions = {}): Promise<T> {
    return (await this.request<T>({ ...options, method: 'GET', path })).data;
  }
  /** POST `body` as JSON to `path` (with an automatic Idempotency-Key); resolves to the parsed body. */
  async post<T = unknown>(path: string, body?: unknown, options: CallOptions = {}): Promise<T> {
    return (await this.request<T>({ ...options, method: 'POST', path, body })).data;
  }
  /** PUT `body` as JSON to `path`; resolves to the parsed body. */
  async put<T = unknown>(path: string, body?: unknown, options: CallOptions = {}): Promise<T> {
    return (await this.request<T>({ ...options, method: 'PUT', path, body })).data;
  }
  /** DELETE `path`; resolves to the parsed body (undefined when empty). */
  async delete<T = unknown>(path: string, options: CallOptions = {}): Promise<T> {
    return (await this.request<T>({ ...options, method: 'DELETE', path })).data;
  }

  /** Any call; resolves to `{ data, status, headers, requestId }`, rejects with a `GatehouseError`. */
  async request<T = unknown>(input: RequestInput): Promise<ClientResponse<T>> {
    const url = this.#urlOf(input.path, input.query);
    const method = input.method.toUpperCase();
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': `gatehouse-client/${VERSION} node/${process.versions.node}`,
      ...input.headers,
    };
    let body: Buffer | undefined;
    if (input.body !== undefined) {
      if (typeof input.body === 'string' || Buffer.isBuffer(input.body)) body = Buffer.from(input.body);
      else {
        body = Buffer.from(JSON.stringify(input.body));
        headers['content-type'] ??= 'application/json';
      }
    }
    const idempotencyKey = input.idempotencyKey ?? (method === 'POST' ? randomUUID() : undefined);
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    return this.#withRetries(method, url, headers, body, true) as Promise<ClientResponse<T>>;
  }

  /** Uses `secret` from the next request on (an API key, or the OAuth client's new secret). */
  setCredential(secret: string): void {
    if (typeof secret !== 'string' || secret === '')
      throw new TypeError('setCredential needs the new secret');
    this.#credential =
      this.#credential.kind === 'api_key'
        ? { kind: 'api_key', apiKey: secret }
        : { ...this.#credential, clientSecret: secret };
    this.#remember(this.#credential);
  }

  /**
   * Self-rotation: asks Gatehouse for a new secret for this credential, hands it to `persist`, then
   * switches to it; the old one keeps working for the overlap window. If `persist` throws, the
   * client keeps the old secret and the error propagates.
   */
  async rotate(options: RotateOptions): Promise<RotationResult> {
    const body = options.overlap === undefined ? {} : { overlap_seconds: options.overlap };
    const { data } = await this.request<Record<string, unknown>>({
      method: 'POST',
      path: SELF_ROTATE_PATH,
      body,
    });
    const secret = this.#credential.kind === 'api_key' ? data.key : data.client_secret;
    if (typeof secret !== 'string' || secret === '') {
      throw new GatehouseError('Gatehouse answered the rotation without a new secret', { status: 201 });
    }
    const info: RotationResult = {
      id: typeof data.id === 'string' ? data.id : undefined,
      previousExpiresAt: typeof data.previous_expires_at === 'string' ? data.previous_expires_at : undefined,
    };
    await options.persist(secret, info);
    this.setCredential(secret);
    return info;
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.#transport.close();
  }

  #remember(credential: Credential): void {
    if (credential.kind === 'api_key') this.#known.add(credential.apiKey);
    else this.#known.add(credential.clientSecret);
  }

  #urlOf(path: string, query: CallOptions['query']): URL {
    if (typeof path !== 'string' || !path.startsWith('/') || path.startsWith('//')) {
      throw new TypeError('path must start with a single "/" (a path on baseUrl, not a URL)');
    }
    const url = new URL(this.#base.href);
    url.pathname = `${this.#base.pathname.replace(/\/$/, '')}${path.split('?')[0]}`;
    url.search = path.includes('?') ? path.slice(path.indexOf('?')) : '';
    for (const [name, value] of Object.entries(query ?? {})) url.searchParams.append(name, String(value));
    return url;
  }

  async #withRetries(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body: Buffer | undefined,
    authenticate: boolean,
  ): Promise<ClientResponse> {
    const deadline = Date.now() + this.#totalMs;
    let refreshedOn401 = false;
    for (let attempt = 0; ; attempt++) {
      const started = Date.now();
      const sent = { ...headers };
      const token = authenticate ? await this.#authorize(sent) : undefined;
      let raw: RawResponse | undefined;
      let failure: GatehouseError | undefined;
      try {
        raw = await this.#transport.send({
          url,
          method,
          headers: sent,
          body,
          connectTimeoutMs: this.#connectMs,
          timeoutMs: deadline - Date.now(),
        });
      } catch (cause) {
        failure = cause instanceof GatehouseError ? cause : new NetworkError('The request failed', { cause });
      }
      const requestId = raw ? requestIdOf(raw) : undefined;
      if (raw && raw.status < 400) {
        this.#log({ method, url, attempt, started, status: raw.status, requestId, outcome: 'ok' });
        return { data: parseBody(raw), status: raw.status, headers: raw.headers, requestId };
      }
      const retryAfter = raw ? parseRetryAfter(raw.headers['retry-after']) : undefined;
      if (raw) failure = errorForResponse(raw.status, parseBody(raw), requestId, retryAfter);
      if (failure === undefined) throw new NetworkError('The request failed', {});
      if (raw?.status === 401 && token !== undefined && !refreshedOn401) {
        refreshedOn401 = true;
        this.#tokens?.invalidate(token);
        this.#log({
          method,
          url,
          attempt,
          started,
          status: 401,
          requestId,
          outcome: 'retry',
          code: failure.code,
        });
        attempt--;
        continue;
      }
      const retryable =
        failure instanceof NetworkError ||
        raw?.status === 503 ||
        (raw?.status === 429 && failure.code !== 'usage_exhausted');
      const delay = Math.max(backoffMs(attempt, this.#retry), (retryAfter ?? 0) * 1000);
      const again = retryable && attempt < this.#retry.max && Date.now() + delay < deadline;
      const status = raw?.status;
      this.#log({
        method,
        url,
        attempt,
        started,
        status,
        requestId,
        outcome: again ? 'retry' : 'error',
        code: failure.code,
        ...(again ? { retryInMs: delay } : {}),
      });
      if (!again) throw failure;
      await sleep(delay);
    }
  }

  async #authorize(headers: Record<string, string>): Promise<string | undefined> {
    if (this.#credential.kind === 'api_key') {
      headers['x-api-key'] = this.#credential.apiKey;
      return undefined;
    }
    const token = await (this.#tokens as AccessTokenCache).get();
    headers.authorization = `Bearer ${token}`;
    return token;
  }

  async #fetchToken(): Promise<{ value: string; expiresInSeconds: number }> {
    const credential = this.#credential;
    if (credential.kind !== 'oauth') throw new Error('not an OAuth client');
    const basic = Buffer.from(
      `${encodeURIComponent(credential.clientId)}:${encodeURIComponent(credential.clientSecret)}`,
    ).toString('base64');
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (this.#scope !== undefined) form.set('scope', this.#scope);
    const { data } = await this.#withRetries(
      'POST',
      this.#urlOf('/oauth/token', undefined),
      {
        accept: 'application/json',
        authorization: `Basic ${basic}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      Buffer.from(form.toString()),
      false,
    );
    const token = data as { access_token?: unknown; expires_in?: unknown };
    if (typeof token.access_token !== 'string') {
      throw new GatehouseError('The token endpoint answered without an access token', { status: 200 });
    }
    this.#known.add(token.access_token);
    return {
      value: token.access_token,
      expiresInSeconds: typeof token.expires_in === 'number' ? token.expires_in : 300,
    };
  }

  #log(entry: Omit<LogEntry, 'durationMs'> & { started: number }): void {
    if (this.#logger === undefined) return;
    const { started, ...rest } = entry;
    try {
      this.#logger(logRecord({ ...rest, durationMs: Date.now() - started }, this.#known));
    } catch {
      // A failing logger must not fail the call.
    }
  }
}
