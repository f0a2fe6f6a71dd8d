/**
 * The route table decides on the path exactly as the upstream will receive it, so any path an
 * upstream might normalise into a different one is refused instead of guessed at: dot segments
 * (`/a/../b`), empty segments (`//`), backslashes, and percent-encoded dots, slashes, backslashes
 * or NUL. Everything else is forwarded byte for byte.
 */

const PATH_CHARACTERS = /^\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$/;
const AMBIGUOUS = /\/\/|\/\.\.?(?:\/|$)|%(?:2[eEfF]|5[cC]|00)/;
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
