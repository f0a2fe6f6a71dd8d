/**
 * One pass over the raw request headers: picks out what the gateway decides on (credentials, body
 * framing, forwarding information) and, at the same time, collects the headers the upstream may
 * see. Never forwarded: the client's credentials, hop-by-hop fields (RFC 9110 §7.6.1) and those
 * named in `Connection`, `Host` (the upstream's own is sent), `Expect` (answered here), any
 * `Forwarded` / `X-Forwarded-*` / `Gatehouse-*` field a client could use to impersonate the gateway,
 * the fields upstreams read as the client's address (`True-Client-IP`, `X-Client-IP`, …), the
 * method and URL overrides (`X-HTTP-Method-Override` would let a GET route's scopes run a DELETE;
 * `X-Original-URL` makes IIS and Symfony route by it, whatever path was checked), and
 * the `_` spelling of any of these (`Gatehouse_Integrator_Id`): CGI-style upstreams (PHP, WSGI, Rack)
 * read `_` and `-` alike, so the alias would sit next to the real field. Other names with `_` pass.
 */
export interface RequestHeaders {
  apiKey: string | undefined;
  authorization: string | undefined;
  /** More than one X-API-Key or Authorization field: ambiguous, refused. */
  duplicateCredential: boolean;
  host: string | undefined;
  /** More than one Host field: refused (RFC 9112 §3.2). */
  duplicateHost: boolean;
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
    duplicateHost: false,
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
        if (headers.host !== undefined) headers.duplicateHost = true;
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
        // Two fields are one comma list (RFC 9110 §5.3): `http` in either is plain HTTP.
        headers.forwardedProto =
          headers.forwardedProto === undefined ? value : `${headers.forwardedProto},${value}`;
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
      case 'x-http-method-override':
      case 'x-http-method':
      case 'x-method-override':
      case 'x-original-method':
      case 'x-original-url':
      case 'x-rewrite-url':
      case 'x-original-host':
      case 'x-host':
      case 'x-url-scheme':
      case 'front-end-https':
      case 'true-client-ip':
      case 'x-client-ip':
      case 'x-cluster-client-ip':
      case 'client-ip':
      case 'cf-connecting-ip':
      case 'fastly-client-ip':
        continue;
      default:
        if (lower.startsWith('gatehouse-') || lower.startsWith('x-forwarded-')) continue;
        if (lower.includes('_') && isGatehouseField(lower.replaceAll('_', '-'))) continue;
    }
    headers.forward.push(name, value);
  }
  if (connection !== undefined) dropConnectionOptions(headers.forward, connection);
  return headers;
}

/**
 * Every field `readRequestHeaders` keeps from the upstream, because Gatehouse reads, answers, sets
 * or strips it (besides `gatehouse-*`). A test checks that each of them is indeed not forwarded.
 */
export const GATEHOUSE_FIELDS: ReadonlySet<string> = new Set([
  'x-api-key',
  'authorization',
  'host',
  'transfer-encoding',
  'expect',
  'x-forwarded-for',
  'x-forwarded-proto',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'upgrade',
  'forwarded',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-real-ip',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
  'x-original-method',
  'x-original-url',
  'x-rewrite-url',
  'x-original-host',
  'x-host',
  'x-url-scheme',
  'front-end-https',
  'true-client-ip',
  'x-client-ip',
  'x-cluster-client-ip',
  'client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
  'x-forwarded-scheme',
  'x-forwarded-ssl',
  'x-forwarded-prefix',
  'x-forwarded-uri',
]);

function isGatehouseField(name: string): boolean {
  return GATEHOUSE_FIELDS.has(name) || name.startsWith('gatehouse-') || name.startsWith('x-forwarded-');
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
