import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { writeRawProblem } from '../http/raw-problem.ts';
import type { ClientAddressResolver } from './client-address.ts';
import type { ExposureChannel, ExposureHandler } from './exposed-credential.ts';
import { type RawRequest, readRawRequest } from './raw-request.ts';
import { credentialsInRawRequest } from './request-credentials.ts';
import { readRequestHeaders } from './request-headers.ts';
import { createRequestLog } from './request-log.ts';

/** At most this much of a plain connection is kept (and searched); it is answered once this much arrived. */
export const MAX_PLAIN_BYTES = 64 * 1024;
/** A declared body up to this size is waited for (within the deadline) so it is searched too. */
export const MAX_PLAIN_BODY_BYTES = 16 * 1024;
/** How long the refusal may take to drain to a client before the connection is destroyed. */
const GRACE_MS = 1_000;

const REFUSAL = Object.freeze({
  status: 403,
  code: 'https_required',
  detail: 'Use HTTPS; plain HTTP requests are refused. Treat any credential sent here as exposed.',
});

export interface PlainHttpRefusalDeps {
  readonly resolver: ClientAddressResolver;
  readonly exposure: ExposureHandler;
  readonly logger: Logger;
  readonly channel: ExposureChannel;
  /** How long a plain connection is kept in all, from the moment it is handed over. */
  readonly deadlineMs: number;
}

/**
 * The plain-HTTP refusal (T1), for one connection: the only place that reads what a plain-HTTP
 * client sent, for the listener on `GATEHOUSE_HTTP_PORT` and for plain HTTP on a TLS port
 * (`acceptPlainHttp`). It keeps the first `MAX_PLAIN_BYTES` and answers when a request has arrived
 * (blank line, plus a declared body up to `MAX_PLAIN_BODY_BYTES`), when the client half-closes,
 * when the cap is reached, or at the deadline, whichever comes first. Then, whatever
 * the bytes were (a whole request, a partial one, not HTTP at all, an HTTP/2 preface, a `PROXY`
 * line), it answers 403 `https_required` in plain HTTP with `Connection: close` if the socket is
 * still writable (never a redirect: that would teach clients that clear text works), and hands
 * every credential in those bytes to the exposure handler — also when the client reset the
 * connection; bytes it still sends within the grace second are searched when it closes. The bytes
 * are never logged.
 */
export function createPlainHttpRefusal(deps: PlainHttpRefusalDeps): (socket: Socket) => void {
  const log = createRequestLog(deps.logger);
  return (socket) => {
    const started = performance.now();
    // A client that half-closes after its request still reads the refusal.
    socket.allowHalfOpen = true;
    const bytes = new BoundedBytes(MAX_PLAIN_BYTES);
    const arrival = new ArrivalCheck();
    const reported = new Set<string>();
    let answeredAtSize: number | null = null;
    let ip = '';
    const expose = () => {
      const found = credentialsInRawRequest(readRawRequest(bytes.all())).filter(
        (f) => !reported.has(f.value),
      );
      for (const credential of found) reported.add(credential.value);
      if (found.length > 0) deps.exposure(found, ip, deps.channel);
    };
    const answer = (canAnswer: boolean) => {
      if (answeredAtSize !== null) return;
      answeredAtSize = bytes.size;
      clearTimeout(deadline);
      const request = readRawRequest(bytes.all());
      ip = clientIpOf(deps.resolver, socket, request);
      const requestId = randomUUID();
      if (canAnswer && socket.writable) {
        writeRawProblem(socket, REFUSAL, requestId, {
          'gatehouse-request-id': requestId,
          'cache-control': 'no-store',
        });
        const grace = setTimeout(() => socket.destroy(), GRACE_MS).unref();
        socket.once('close', () => clearTimeout(grace));
        log(recordOf(request, requestId, ip, started), REFUSAL.status);
      } else {
        socket.destroy();
      }
      expose();
    };
    socket.on('data', (chunk: Buffer) => {
      const kept = bytes.push(chunk);
      // Bytes after the answer (a pipelined request, a body past the wait) are searched at close.
      if (answeredAtSize !== null) return;
      if (bytes.full || arrival.complete(kept, bytes)) answer(true);
    });
    const deadline = setTimeout(() => answer(true), deps.deadlineMs).unref();
    socket.once('end', () => answer(true));
    socket.on('error', () => answer(false));
    socket.once('close', () => {
      answer(false);
      if (bytes.size > (answeredAtSize ?? 0)) expose();
    });
    // Bytes already buffered (the sniffed first byte on a TLS port) arrive as 'data' once flowing.
    socket.resume();
  };
}

/** The first `limit` bytes of a connection; the rest is read and dropped. */
class BoundedBytes {
  readonly chunks: Buffer[] = [];
  size = 0;
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  get full(): boolean {
    return this.size >= this.#limit;
  }

  /** Keeps what fits of `chunk`; returns the part kept. */
  push(chunk: Buffer): Buffer {
    const kept = chunk.subarray(0, this.#limit - this.size);
    if (kept.length > 0) this.chunks.push(kept);
    this.size += kept.length;
    return kept;
  }

  all(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}

/**
 * The optional listener on `GATEHOUSE_HTTP_PORT` (channel `plain_http_listener`): every connection
 * goes to `createPlainHttpRefusal`.
 */
export function createPlainHttpListener(deps: Omit<PlainHttpRefusalDeps, 'channel'>): Server {
  return createServer(
    { allowHalfOpen: true },
    createPlainHttpRefusal({ ...deps, channel: 'plain_http_listener' }),
  );
}

/** Whether the bytes so far hold a whole request; each chunk is looked at once, however small. */
class ArrivalCheck {
  #tail = Buffer.alloc(0);
  #wanted: number | 'chunked' | null = null;

  complete(chunk: Buffer, bytes: BoundedBytes): boolean {
    const { chunks, size } = bytes;
    if (this.#wanted === null) {
      const window = Buffer.concat([this.#tail, chunk]);
      const end = /\r?\n\r?\n/.exec(window.toString('latin1'));
      if (end === null) {
        this.#tail = window.subarray(-3);
        return false;
      }
      const headEnd = size - window.length + end.index + end[0].length;
      this.#wanted = bodyWanted(readRawRequest(bytes.all().subarray(0, headEnd)), headEnd);
    }
    if (this.#wanted === 'chunked') return lastChunkArrived(chunks);
    return size >= this.#wanted;
  }
}

/** How many bytes in all hold the request: its head plus the declared body, as far as it is waited for. */
function bodyWanted(head: RawRequest, headEnd: number): number | 'chunked' {
  const headers = readRequestHeaders(head.rawHeaders);
  // Answered before the body: a client that waits for 100 Continue then never sends it.
  if (headers.expectContinue) return headEnd;
  if (headers.transferEncoding !== undefined && /chunked/i.test(headers.transferEncoding)) return 'chunked';
  const declared = Number(headers.contentLength ?? '0');
  if (!Number.isSafeInteger(declared) || declared <= 0) return headEnd;
  return headEnd + Math.min(declared, MAX_PLAIN_BODY_BYTES);
}

/** Whether the bytes end with the last chunk of a chunked body (trailers are not waited for). */
function lastChunkArrived(chunks: readonly Buffer[]): boolean {
  const tail = Buffer.concat(chunks.slice(-7)).toString('latin1').slice(-7);
  return /(^|\n)0\r?\n\r?\n$/.test(tail);
}

function clientIpOf(resolver: ClientAddressResolver, socket: Socket, request: RawRequest): string {
  const peer = socket.remoteAddress ?? '';
  const forwardedFor = resolver.trusts(peer)
    ? readRequestHeaders(request.rawHeaders).forwardedFor
    : undefined;
  return resolver.clientIp(peer, forwardedFor);
}

function recordOf(request: RawRequest, requestId: string, ip: string, started: number) {
  return {
    requestId,
    started,
    // The log line writes the method unescaped: `readRawRequest` only returns letters and `-`.
    method: request.method === '' ? '-' : request.method,
    target: request.method === '' ? '' : request.target,
    ip,
    userAgent: readRequestHeaders(request.rawHeaders).userAgent,
    bodyPending: false,
    route: null,
    caller: null,
    credentialId: null,
    integratorId: null,
    code: REFUSAL.code,
    upstreamStatus: null,
  };
}
