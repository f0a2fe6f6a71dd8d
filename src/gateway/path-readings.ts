/**
 * Other ways an upstream could read a normalised request path (T5). Real upstreams differ: Tomcat
 * and Spring cut `;parameters` off every segment, most frameworks percent-decode the whole path
 * before routing, Express (non-strict) and Spring before 6 ignore a trailing slash, and many
 * routers (ASP.NET Core by default, IIS, some Express setups) ignore letter case, some with
 * Unicode case mapping (`ſ` reads as `s`). The route table matches each reading that could differ
 * and refuses a request whose readings land on different routes. Only paths with `;`, `%`,
 * upper-case letters or a trailing slash get here; the common path never does.
 */

/** Bits of `pathShape`. */
export const HAS_PARAMETERS = 1;
export const HAS_ESCAPES = 2;
export const HAS_UPPER_CASE = 4;
export const HAS_TRAILING_SLASH = 8;

/**
 * Which readings a path needs, in one pass without allocating: `;` or `%3B` (path parameters), any
 * other escape, upper-case ASCII letters, a trailing slash. 0 for the usual path.
 */
export function pathShape(target: string, pathEnd: number): number {
  let shape = pathEnd > 1 && target.charCodeAt(pathEnd - 1) === 47 ? HAS_TRAILING_SLASH : 0;
  for (let i = 1; i < pathEnd; i++) {
    const code = target.charCodeAt(i);
    if (code >= 65 && code <= 90) shape |= HAS_UPPER_CASE;
    else if (code === 59 /* ; */) shape |= HAS_PARAMETERS;
    else if (code === 37 /* % */) {
      shape |=
        target.charCodeAt(i + 1) === 51 && (target.charCodeAt(i + 2) | 32) === 98
          ? HAS_PARAMETERS
          : HAS_ESCAPES;
      i += 2;
    }
  }
  return shape;
}

/**
 * The path with every segment cut at its first `;` or `%3B`, as Tomcat and Spring read it; null
 * when that leaves an empty or dot segment (`..;/` is how `..` gets past a proxy to Tomcat).
 */
export function withoutPathParameters(path: string): string | null {
  let out = '';
  let start = 1;
  while (start <= path.length) {
    let end = path.indexOf('/', start);
    if (end === -1) end = path.length;
    let cut = end;
    const semicolon = path.indexOf(';', start);
    if (semicolon !== -1 && semicolon < cut) cut = semicolon;
    const encoded = path.indexOf('%3B', start);
    if (encoded !== -1 && encoded < cut) cut = encoded;
    const segment = path.slice(start, cut);
    if (cut !== end && (segment === '' || segment === '.' || segment === '..')) return null;
    out += `/${segment}`;
    start = end + 1;
  }
  return out;
}

/** Sub-delims (but `;`), `:` and `@`: allowed raw in a route pattern, so a decoding upstream matches them. */
const PATTERN_RESERVED = new Set([0x21, 0x24, 0x26, 0x27, 0x28, 0x29, 0x2b, 0x2c, 0x3d, 0x3a, 0x40]);

/** The path with the escapes of characters a route pattern may hold decoded (`a%40b` → `a@b`); `path` itself when none. */
export function withReservedDecoded(path: string): string {
  let out = '';
  let copied = 0;
  for (let percent = path.indexOf('%'); percent !== -1; percent = path.indexOf('%', percent + 3)) {
    const code = Number.parseInt(path.slice(percent + 1, percent + 3), 16);
    if (!PATTERN_RESERVED.has(code)) continue;
    out += path.slice(copied, percent) + String.fromCharCode(code);
    copied = percent + 3;
  }
  return copied === 0 ? path : out + path.slice(copied);
}

const PATTERN_CHARACTER = /^[a-z0-9\-._~!$&'()+,=:@]$/;
const NON_ASCII_ESCAPES = /(?:%[89A-Fa-f][0-9A-Fa-f])+/g;

/**
 * The path as a case-insensitive router reads it: ASCII letters lower-cased and percent-encoded
 * UTF-8 decoded and case-mapped (NFKC, upper then lower case: `%C5%BF` → `s`, `%E2%84%AA` → `k`).
 * Null when there is no single such reading: invalid UTF-8, or text that folds into path syntax
 * (a fullwidth `／` or `．` becomes `/` or `.`).
 */
export function caseFolded(path: string): string | null {
  let folded = path.toLowerCase();
  if (folded.includes('%')) {
    let invalid = false;
    folded = folded.replace(NON_ASCII_ESCAPES, (run) => {
      let text: string;
      try {
        text = decodeURIComponent(run).normalize('NFKC').toUpperCase().toLowerCase();
      } catch {
        invalid = true;
        return run;
      }
      for (const character of text) {
        if (character.charCodeAt(0) < 128 && !PATTERN_CHARACTER.test(character)) invalid = true;
      }
      return text;
    });
    if (invalid) return null;
    for (const segment of folded.split('/')) if (segment === '.' || segment === '..') return null;
  }
  return folded;
}
