import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { PROBLEM_CONTENT_TYPE, problemOf } from './problem.ts';

/** What a request Node's HTTP parser refused is answered with: the same catalogue of codes as the rest. */
export interface ParserRefusal {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
}

const PARSER_REFUSALS: Readonly<Record<string, ParserRefusal>> = {
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: 'headers_too_large',
    detail: 'The request has more or larger header fields than accepted',
  },
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    code: 'request_timeout',
    detail: 'The request was not received in time',
  },
  HPE_INVALID_METHOD: {
    status: 400,
    code: 'bad_request',
    detail: 'The method is not one HTTP knows; methods are case-sensitive (GET, not get)',
  },
};
const MALFORMED: ParserRefusal = {
  status: 400,
  code: 'bad_request',
  detail: 'The request is not valid HTTP',
};

/**
 * Whether a `clientError` came from Node's HTTP parser (or its request timeouts), and so can be
 * answered in HTTP. The https server reports failed TLS handshakes there too: those cannot.
 */
export function isHttpParserError(error: NodeJS.ErrnoException): boolean {
  const code = error.code ?? '';
  return code.startsWith('HPE_') || code.startsWith('ERR_HTTP_');
}

/** The answer to a `clientError` of Node's HTTP server, by the parser's error code. */
export function parserRefusalOf(error: NodeJS.ErrnoException): ParserRefusal {
  return (error.code !== undefined && PARSER_REFUSALS[error.code]) || MALFORMED;
}

/**
 * Writes a whole problem+json response straight to a socket and ends it: for requests Node refuses
 * before any framework sees them, so they get the one error shape too. Never echoes the request.
 */
export function writeRawProblem(
  socket: Duplex,
  refusal: ParserRefusal,
  requestId: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  const body = JSON.stringify(problemOf(refusal.status, refusal.code, refusal.detail, requestId));
  let head = `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? 'Error'}\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  socket.end(
    `${head}content-type: ${PROBLEM_CONTENT_TYPE}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `connection: close\r\n\r\n${body}`,
  );
}
