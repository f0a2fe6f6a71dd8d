/**
 * One pass over the raw request headers: picks out what the gateway decides on (credentials, body
 * framing, forwarding information) and, at the same time, collects the headers the upstream may
 * see. Never forwarded: the client's credentials, hop-by-hop fields (RFC 9110 §7.6.1) and those
 * named in `Connection`, `Host` (the upstream's own is sent), `Expect` (answered here), and any
 * `Forwarded` / `X-Forwarded-*` / `Gatehouse-*` field a client could use to impersonate the gateway.
 */
export interface RequestHeaders {
  apiKey: string | undefined;
  authorization: string | undefined;
  /** More than one X-API-Key or Authorization field: ambiguous, refused. */
  duplicateCredential: boolean;
  host: string | undefined;
  contentLength: string | undefined;
  contentType: string | undefined;
  transferEncoding: string | undefined;
  expectContinue: boolean;
  forwardedFor: string | undefined;
  forwardedProto: string | undefined;
  userAgent: string | undefined;
  /** Flat `[name, value, name, value, …]`, names as the client spelled them. */
  readonly forward: string[];
}

/** Reads `rawHeaders` (Node's flat list). Allocates the result and the forward list, nothing else. */
export function readRequestHeaders(raw: readonly string[]): RequestHeaders {
  const headers: RequestHeaders = {
    apiKey: undefined,
    authorization: undefined,
    duplicateCredential: false,
    host: undefined,
    contentLength: undefined,
    contentType: undefined,
    transferEncoding: undefined,
    expectContinue: false,
    forwardedFor: undefined,
    forwardedProto: undefined,
    userAgent: undefined,
    forward: [],
  };
  let connection: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const lower = name.toLowerCase();
    switch (lower) {
      case 'x-api-key':
        if (headers.apiKey !== undefined) headers.duplicateCredential = true;
        headers.apiKey = value;
        continue;
      case 'authorization':
        if (headers.authorization !== undefined) headers.duplicateCredential = true;
        headers.authorization = value;
        continue;
      case 'host':
        headers.host = value;
        continue;
      case 'content-length':
        headers.contentLength = value;
        break;
      case 'content-type':
        headers.contentType = value;
        break;
      case 'transfer-encoding':
        headers.transferEncoding = value;
        continue;
      case 'expect':
        headers.expectContinue = value.toLowerCase() === '100-continue';
        continue;
      case 'x-forwarded-for':
        headers.forwardedFor =
          headers.forwardedFor === undefined ? value : `${headers.forwardedFor},${value}`;
        continue;
      case 'x-forwarded-proto':
        headers.forwardedProto = value;
        continue;
      case 'user-agent':
        headers.userAgent = value;
        break;
      case 'connection':
        connection = connection === undefined ? value : `${connection},${value}`;
        continue;
      case 'keep-alive':
      case 'proxy-connection':
      case 'proxy-authorization':
      case 'te':
      case 'upgrade':
      case 'forwarded':
      case 'x-forwarded-host':
      case 'x-forwarded-port':
      case 'x-real-ip':
        continue;
      default:
        if (lower.startsWith('gatehouse-')) continue;
    }
    headers.forward.push(name, value);
  }
  if (connection !== undefined) dropConnectionOptions(headers.forward, connection);
  return headers;
}

/** Removes the fields a `Connection` header declares hop-by-hop (rare: usually it says keep-alive/close). */
function dropConnectionOptions(forward: string[], connection: string): void {
  const named = connectionOptions(connection);
  if (named === null) return;
  let kept = 0;
  for (let i = 0; i < forward.length; i += 2) {
    if (named.has((forward[i] as string).toLowerCase())) continue;
    forward[kept++] = forward[i] as string;
    forward[kept++] = forward[i + 1] as string;
  }
  forward.length = kept;
}

const PLAIN_CONNECTION = /^\s*(?:keep-alive|close)\s*$/i;

/** Response fields that belong to one connection, or that Gatehouse sets itself, dropped from the upstream's answer. */
const RESPONSE_DROPPED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'strict-transport-security',
  'gatehouse-request-id',
]);

/**
 * The upstream's response headers (as undici reports them: lower-case names, arrays for repeated
 * fields) as a flat list for `writeHead`, hop-by-hop fields removed, the gateway's own appended.
 */
export function responseHeaders(
  upstream: Record<string, string | string[] | undefined>,
  own: readonly string[],
): string[] {
  const out: string[] = [];
  const connection = upstream.connection;
  const named = connection === undefined ? null : connectionOptions(connection);
  for (const name in upstream) {
    if (RESPONSE_DROPPED.has(name) || named?.has(name)) continue;
    const value = upstream[name];
    if (value === undefined) continue;
    if (typeof value === 'string') out.push(name, value);
    else for (const item of value) out.push(name, item);
  }
  for (let i = 0; i < own.length; i++) out.push(own[i] as string);
  return out;
}

/** The field names a `Connection` header lists, or null when it only says keep-alive or close (the usual case). */
function connectionOptions(connection: string | string[]): Set<string> | null {
  if (typeof connection === 'string' && (connection === 'keep-alive' || PLAIN_CONNECTION.test(connection)))
    return null;
  const named = new Set<string>();
  for (const token of (typeof connection === 'string' ? connection : connection.join(',')).split(',')) {
    const option = token.trim().toLowerCase();
    if (option !== '' && option !== 'keep-alive' && option !== 'close') named.add(option);
  }
  return named.size === 0 ? null : named;
}
