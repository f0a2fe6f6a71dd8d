/**
 * The route table decides on the path exactly as the upstream will receive it, so any path an
 * upstream might normalise into a different one is refused instead of guessed at: dot segments
 * (`/a/../b`), empty segments (`//`), backslashes, and percent-encoded dots, slashes, backslashes,
 * percent signs (a double-decoding upstream would read `%2573` as `s`) or control characters.
 * What can be normalised safely is (RFC 3986 §6.2.2): percent-encoded unreserved characters are
 * decoded and the other escapes written in upper-case hex, and that normalised target is what is
 * matched and what is forwarded.
 */

const PATH_CHARACTERS = /^\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$/;
const AMBIGUOUS = /\/\/|\/\.\.?(?:\/|$)|%(?:2[eEfF5]|5[cC]|[01][0-9A-Fa-f]|7[fF])/;
const MAX_TARGET_LENGTH = 8192;

/**
 * The length of the path part of an origin-form request target (`/path?query`), or -1 when the
 * target must be refused. The query plays no part in routing and is forwarded as it is.
 */
export function requestPathLength(target: string): number {
  if (target.length > MAX_TARGET_LENGTH || target.charCodeAt(0) !== 47 /* / */) return -1;
  let end = target.indexOf('?');
  if (end === -1) end = target.length;
  const path = end === target.length ? target : target.slice(0, end);
  if (!PATH_CHARACTERS.test(path) || AMBIGUOUS.test(path)) return -1;
  return end;
}

/**
 * The target with every percent-encoded unreserved character of its path decoded (`%73ecret` →
 * `secret`) and the remaining escapes in upper-case hex (`%3b` → `%3B`); the query is kept as it
 * is. Returns `target` itself, unallocated, when the path holds no `%` (the usual case). Expects a
 * target `requestPathLength` accepted, whose escapes are therefore well formed.
 */
export function normalizeRequestTarget(target: string, pathEnd: number): string {
  let percent = target.indexOf('%');
  if (percent === -1 || percent >= pathEnd) return target;
  let out = '';
  let copied = 0;
  while (percent !== -1 && percent < pathEnd) {
    const high = hexValue(target.charCodeAt(percent + 1));
    const low = hexValue(target.charCodeAt(percent + 2));
    const code = high * 16 + low;
    out += target.slice(copied, percent);
    out += isUnreserved(code) ? String.fromCharCode(code) : `%${HEX[high]}${HEX[low]}`;
    copied = percent + 3;
    percent = target.indexOf('%', copied);
  }
  return out + target.slice(copied);
}

const HEX = '0123456789ABCDEF';

function hexValue(code: number): number {
  if (code <= 57) return code - 48; // 0-9
  return (code | 32) - 87; // a-f, A-F
}

/** ALPHA / DIGIT / "-" / "." / "_" / "~" (RFC 3986 §2.3). */
export function isUnreserved(code: number): boolean {
  return (
    (code >= 97 && code <= 122) ||
    (code >= 65 && code <= 90) ||
    (code >= 48 && code <= 57) ||
    code === 45 ||
    code === 46 ||
    code === 95 ||
    code === 126
  );
}
