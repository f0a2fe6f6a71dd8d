import * as http from 'node:http';
import * as https from 'node:https';
import { NetworkError } from './errors.ts';

/** One answer as received: status, lower-cased headers and the body bytes. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

export interface Attempt {
  readonly url: URL;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer | undefined;
  readonly connectTimeoutMs: number;
  /** The time left for this attempt. */
  readonly timeoutMs: number;
}

export interface Transport {
  send(attempt: Attempt): Promise<RawResponse>;
  close(): void;
}

const MAX_BODY_BYTES = 32 * 1024 * 1024;

/**
 * Sends requests over one keep-alive agent. Certificate validation is always on (`ca` adds trust,
 * nothing removes it); plain HTTP only when the caller already allowed it for loopback.
 */
export function createTransport(options: { ca?: string | Buffer | readonly (string | Buffer)[] }): Transport {
  const given = options.ca;
  const ca: string | Buffer | (string | Buffer)[] | undefined =
    given === undefined
      ? undefined
      : typeof given === 'string' || Buffer.isBuffer(given)
        ? given
        : [...given];
  const secure = new https.Agent({ keepAlive: true, ...(ca === undefined ? {} : { ca }) });
  const plain = new http.Agent({ keepAlive: true });
  return {
    send: (attempt) => sendOnce(attempt, attempt.url.protocol === 'https:' ? secure : plain),
    close() {
      secure.destroy();
      plain.destroy();
    },
  };
}

function sendOnce(attempt: Attempt, agent: http.Agent): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const lib = attempt.url.protocol === 'https:' ? https : http;
    const headers: Record<string, string> = { ...attempt.headers };
    if (attempt.body !== undefined) headers['content-length'] = String(attempt.body.length);
    let settled = false;
    const fail = (error: NetworkError) => {
      if (settled) return;
      settled = true;
      clearTimeout(total);
      clearTimeout(connect);
      req.destroy();
      reject(error);
    };
    const req = lib.request(attempt.url, { method: attempt.method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) fail(new NetworkError('The answer is larger than the client accepts', {}));
        else chunks.push(chunk);
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(total);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
      res.on('error', (cause) => fail(new NetworkError('The connection broke mid-answer', { cause })));
    });
    const total = setTimeout(
      () => fail(new NetworkError('The request timed out', { timeout: 'total' })),
      Math.max(1, attempt.timeoutMs),
    );
    let connect: NodeJS.Timeout | undefined;
    req.on('socket', (socket) => {
      if (!socket.connecting) return;
      connect = setTimeout(
        () => fail(new NetworkError('Connecting timed out', { timeout: 'connect' })),
        attempt.connectTimeoutMs,
      );
      socket.once(attempt.url.protocol === 'https:' ? 'secureConnect' : 'connect', () =>
        clearTimeout(connect),
      );
    });
    req.on('error', (cause: NodeJS.ErrnoException) =>
      fail(new NetworkError(`The request failed (${cause.code ?? 'network error'})`, { cause })),
    );
    req.end(attempt.body);
  });
}

/** The request id Gatehouse gave the answer. */
export function requestIdOf(raw: RawResponse): string | undefined {
  const value = raw.headers['gatehouse-request-id'] ?? raw.headers['x-request-id'];
  return Array.isArray(value) ? value[0] : value;
}

/** The body as JSON when it says it is JSON and parses, else as text; undefined when empty. */
export function parseBody(raw: RawResponse): unknown {
  if (raw.body.length === 0) return undefined;
  const text = raw.body.toString('utf8');
  const type = String(raw.headers['content-type'] ?? '');
  if (!/json/i.test(type)) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
