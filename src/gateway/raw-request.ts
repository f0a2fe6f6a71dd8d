/** What a plain connection sent, read leniently: any bytes at all, HTTP or not, whole or cut short. */
export interface RawRequest {
  /** The first line's first word when it looks like a method (letters and `-` only), else ''. */
  readonly method: string;
  /** The first line's second word when the first looks like a method; else the whole first line. */
  readonly target: string;
  /** Flat `[name, value, …]` of every later header line with a colon, as sent. */
  readonly rawHeaders: readonly string[];
  /** Header-block lines without a colon (not valid HTTP): searched too, never trusted. */
  readonly otherLines: readonly string[];
  /** Whether the header block's blank line arrived. */
  readonly headComplete: boolean;
  /** The bytes after the blank line (none when it did not arrive). */
  readonly body: Buffer;
}

const METHOD = /^[A-Za-z-]{1,32}$/;
const HEAD_END = /\r?\n\r?\n/;

/**
 * Splits the bytes of a plain connection into request line, header lines and body without
 * requiring valid HTTP (bare `\n`, no Host, no blank line, binary after a `PROXY` line): what is
 * refused for arriving without TLS is searched for credentials however it was framed. Latin-1, so
 * every byte maps to one character and nothing is lost to decoding.
 */
export function readRawRequest(bytes: Buffer): RawRequest {
  const text = bytes.toString('latin1');
  const end = HEAD_END.exec(text);
  const head = end === null ? text : text.slice(0, end.index);
  const body = end === null ? Buffer.alloc(0) : bytes.subarray(end.index + end[0].length);
  const lines = head.split(/\r?\n/);
  const first = lines[0] ?? '';
  const words = first.split(/[ \t]+/);
  const looksLikeHttp = METHOD.test(words[0] ?? '') && words.length >= 2;
  const rawHeaders: string[] = [];
  const otherLines: string[] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) rawHeaders.push(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    else if (line !== '') otherLines.push(line);
  }
  return {
    method: looksLikeHttp ? (words[0] as string) : '',
    target: looksLikeHttp ? (words[1] as string) : first,
    rawHeaders,
    otherLines,
    headComplete: end !== null,
    body,
  };
}

/** The value of the first header named `name` (case-insensitive), or undefined. */
export function headerOf(request: RawRequest, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2)
    if ((request.rawHeaders[i] as string).toLowerCase() === wanted) return request.rawHeaders[i + 1];
  return undefined;
}
