/**
 * Other ways an upstream could read a normalised request path (T5). Real upstreams differ: Tomcat
 * and Spring cut `;parameters` off every segment, most frameworks percent-decode the whole path
 * before routing, Express (non-strict) and Spring before 6 ignore a trailing slash, and many
 * routers (ASP.NET Core by default, IIS, some Express setups) ignore letter case, some with
 * Unicode case mapping (`ſ` reads as `s`). Some read the last segment as a file name: Rails routes
 * `(.:format)` (`secret.json` runs `secret`), Spring MVC before 5.3 matches `secret.*`, and IIS on
 * NTFS drops trailing dots and spaces from every segment and reads `secret::$DATA` (a stream) as
 * `secret`. The route table matches each reading that could differ and refuses a request whose
 * readings land on different routes. Only paths with `;`, `%`, upper-case letters, a trailing
 * slash, a `.` in the last segment, a `:` or a segment ending in `.` or `%20` get here; the common
 * path never does.
 */

/** Bits of `pathShape`. */
export const HAS_PARAMETERS = 1;
export const HAS_ESCAPES = 2;
export const HAS_UPPER_CASE = 4;
export const HAS_TRAILING_SLASH = 8;
/** A `.` in the last segment (before a trailing slash): an extension a router may cut off. */
export const HAS_EXTENSION = 16;
/** A `:` or `%3A`, or a segment ending in `.` or `%20`: a name Windows reads as a shorter one. */
export const HAS_WINDOWS_NAME = 32;

/**
 * Which readings a path needs, in one pass without allocating: `;` or `%3B` (path parameters), any
 * other escape, upper-case ASCII letters, a trailing slash, an extension, a Windows name. 0 for
 * the usual path.
 */
export function pathShape(target: string, pathEnd: number): number {
  let shape = pathEnd > 1 && target.charCodeAt(pathEnd - 1) === 47 ? HAS_TRAILING_SLASH : 0;
  let dotInSegment = false;
  for (let i = 1; i < pathEnd; i++) {
    const code = target.charCodeAt(i);
    if (code >= 65 && code <= 90) shape |= HAS_UPPER_CASE;
    else if (code === 46 /* . */) {
      dotInSegment = true;
      if (i + 1 === pathEnd || target.charCodeAt(i + 1) === 47) shape |= HAS_WINDOWS_NAME;
    } else if (code === 47 /* / */) {
      if (i + 1 !== pathEnd) dotInSegment = false;
    } else if (code === 58 /* : */) shape |= HAS_WINDOWS_NAME;
    else if (code === 59 /* ; */) shape |= HAS_PARAMETERS;
    else if (code === 37 /* % */) {
      const high = target.charCodeAt(i + 1);
      const low = target.charCodeAt(i + 2) | 32;
      if (high === 51 && low === 98 /* 3B */) shape |= HAS_PARAMETERS;
      else {
        shape |= HAS_ESCAPES;
        if (high === 51 && low === 97 /* 3A */) shape |= HAS_WINDOWS_NAME;
        else if (high === 50 && low === 48 /* 20 */ && (i + 3 === pathEnd || target.charCodeAt(i + 3) === 47))
          shape |= HAS_WINDOWS_NAME;
      }
      i += 2;
    }
  }
  return dotInSegment ? shape | HAS_EXTENSION : shape;
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

const STREAM_MARKER = /:|%3A/i;

/**
 * Whether `name` is a literal (with `.` or `:`) that a route declares as segment `index`: such a
 * segment is read as declared, so `/v1/openapi.json` and `/v1/a:b` still match their own routes.
 */
export type DeclaredName = (index: number, name: string) => boolean;

/** `segment` without its trailing dots and spaces (`%20`). */
function withoutTrailingDots(segment: string, end = segment.length): string {
  for (;;) {
    if (end > 0 && segment.charCodeAt(end - 1) === 46 /* . */) end--;
    else if (end >= 3 && segment.startsWith('%20', end - 3)) end -= 3;
    else break;
  }
  return end === segment.length ? segment : segment.slice(0, end);
}

/**
 * A segment as Windows reads a file name: cut at its first `:` (`secret::$DATA` and `secret:x`
 * name streams of `secret`), then without trailing dots and spaces (`secret. %20` is `secret`).
 * `''` when nothing is left.
 */
export function windowsName(segment: string): string {
  const marker = segment.search(STREAM_MARKER);
  return withoutTrailingDots(segment, marker === -1 ? segment.length : marker);
}

/**
 * `windowsName`, unless the segment, or it cut at a later `:` or without trailing dots and spaces,
 * is a declared name (`a:b::$DATA` is `a:b` when a route declares `a:b`).
 */
function windowsNameAt(segment: string, index: number, declared: DeclaredName | undefined): string {
  if (declared === undefined) return windowsName(segment);
  if (declared(index, segment)) return segment;
  const trimmed = withoutTrailingDots(segment);
  if (trimmed !== segment && declared(index, trimmed)) return trimmed;
  const markers = /:|%3A/gi;
  markers.lastIndex = segment.search(STREAM_MARKER) + 1;
  for (let marker = markers.exec(segment); marker !== null; marker = markers.exec(segment)) {
    const stem = withoutTrailingDots(segment, marker.index);
    if (declared(index, stem)) return stem;
  }
  return windowsName(segment);
}

/**
 * The path with every segment read as a Windows file name (`windowsName`) but declared names.
 * Null when a segment reads as nothing (`...`, `..%20`: IIS would take it for `..` or drop it).
 */
export function windowsReading(path: string, declared?: DeclaredName): string | null {
  const segments = path.slice(1).split('/');
  let changed = false;
  for (const [index, segment] of segments.entries()) {
    if (segment === '') continue;
    const name = windowsNameAt(segment, index, declared);
    if (name === '') return null;
    if (name !== segment) {
      segments[index] = name;
      changed = true;
    }
  }
  return changed ? `/${segments.join('/')}` : path;
}

/**
 * The last segment without an extension, both ways routers cut it: at the last `.` (Rails'
 * `(.:format)`: `secret.json` is `secret`) and at the first (Spring's `secret.*` also takes
 * `secret.tar.gz`) or where the stem is a declared name, each also as a Windows name; none when
 * the segment is a declared name.
 * Null when a cut leaves a dot segment (`..json`).
 */
export function extensionReadings(path: string, declared?: DeclaredName): string[] | null {
  const slash = path.lastIndexOf('/');
  const segment = path.slice(slash + 1);
  const index = countSlashes(path) - 1;
  const readings: string[] = [];
  if (declared?.(index, segment) === true) return readings;
  const first = segment.indexOf('.');
  const last = segment.lastIndexOf('.');
  for (let cut = first; cut !== -1; cut = segment.indexOf('.', cut + 1)) {
    if (cut === 0) continue;
    const stem = segment.slice(0, cut);
    // Between the first and the last dot, only a declared name (`v1.0.tar.gz` is `v1.0`).
    if (cut !== first && cut !== last && declared?.(index, stem) !== true) continue;
    if (stem === '.' || stem === '..') return null;
    const name = windowsNameAt(stem, index, declared);
    if (name === '') return null;
    for (const reading of name === stem ? [stem] : [stem, name]) {
      const candidate = path.slice(0, slash + 1) + reading;
      if (!readings.includes(candidate)) readings.push(candidate);
    }
  }
  return readings;
}

function countSlashes(path: string): number {
  let count = 0;
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) count++;
  return count;
}

/**
 * Every file-name reading of `path` that `shape` calls for and that differs from it: the Windows
 * reading, and the extension readings of the path and of its Windows reading. Null when one of
 * them is no path at all (see `windowsReading`, `extensionReadings`).
 */
export function fileNameReadings(path: string, shape: number, declared?: DeclaredName): string[] | null {
  const bases = [path];
  if ((shape & HAS_WINDOWS_NAME) !== 0) {
    const windows = windowsReading(path, declared);
    if (windows === null) return null;
    if (windows !== path) bases.push(windows);
  }
  const readings = bases.slice(1);
  if ((shape & HAS_EXTENSION) === 0) return readings;
  for (const base of bases) {
    const cut = extensionReadings(base, declared);
    if (cut === null) return null;
    for (const reading of cut) if (reading !== path && !readings.includes(reading)) readings.push(reading);
  }
  return readings;
}
