import type { IncomingMessage, ServerResponse } from 'node:http';

/** RFC 6749 §5.2 error codes, plus `slow_down` (RFC 8628) for the brute-force limit. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'slow_down';

export class OAuthError extends Error {
  readonly status: number;
  readonly error: OAuthErrorCode;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    error: OAuthErrorCode,
    description: string,
    headers: Record<string, string> = {},
  ) {
    super(description);
    this.status = status;
    this.error = error;
    this.headers = headers;
  }
}

export const BASIC_CHALLENGE = { 'www-authenticate': 'Basic realm="gatehouse", charset="UTF-8"' };

/** Token endpoint responses must never be cached (RFC 6749 §5.1). */
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...NO_STORE,
    ...headers,
  });
  res.end(text);
}

/** An RFC 6749 §5.2 error body: `{"error": …, "error_description": …}`. */
export function sendOAuthError(res: ServerResponse, error: OAuthError): void {
  sendJson(res, error.status, { error: error.error, error_description: error.message }, { ...error.headers });
}

const FORM_LIMIT = 16 * 1024;

/**
 * Reads an `application/x-www-form-urlencoded` body (the only encoding RFC 6749 allows) of at most
 * 16 KiB. A parameter sent twice is an error (§3.2), as is any other content type.
 */
export async function readForm(req: IncomingMessage): Promise<Map<string, string>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    req.resume();
    throw new OAuthError(400, 'invalid_request', 'Send the parameters as application/x-www-form-urlencoded');
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > FORM_LIMIT) {
    req.resume();
    throw new OAuthError(413, 'invalid_request', 'The request body is too large');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > FORM_LIMIT) throw new OAuthError(413, 'invalid_request', 'The request body is too large');
    chunks.push(chunk);
  }
  const params = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) {
    if (params.has(name))
      throw new OAuthError(400, 'invalid_request', `The parameter ${safeName(name)} is sent more than once`);
    params.set(name, value);
  }
  return params;
}

/** A parameter name fit to echo in an error: short and printable. */
function safeName(name: string): string {
  return /^[a-z_]{1,40}$/.test(name) ? name : '(unnamed)';
}
