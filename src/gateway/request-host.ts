import { isIPv6 } from 'node:net';

/**
 * The `Host` header in the one spelling the host → environment guard compares (T5): lower case,
 * one trailing dot removed (`api.example.com.` is the same DNS name), the port kept. Null when it
 * is not one host name, IPv4 address or bracketed IPv6 address with an optional port: a comma
 * list, percent-encoding, userinfo, an empty label, or a number an IP parser would read
 * loosely (`127.1`, `0x7f.1`). RFC 9112 §3.2 asks for 400 then.
 */
export function canonicalHost(value: string): string | null {
  if (value.length === 0 || value.length > 261) return null;
  if (value.charCodeAt(0) === 91 /* [ */) return canonicalIpLiteral(value);
  let colon = value.indexOf(':');
  if (colon === -1) colon = value.length;
  else if (!isPort(value, colon + 1)) return null;
  let plain = true; // lower case, no trailing dot: the value is already canonical
  let labelStart = 0;
  let lastLabelNumeric = false;
  for (let i = 0; i <= colon; i++) {
    const code = i === colon ? 46 /* . */ : value.charCodeAt(i);
    if (code === 46) {
      const length = i - labelStart;
      if (length === 0) {
        if (i !== colon || i === 0 || value.charCodeAt(i - 1) !== 46) return null;
        plain = false; // the one trailing dot
        break;
      }
      if (length > 63 || value.charCodeAt(labelStart) === 45 || value.charCodeAt(i - 1) === 45) return null;
      lastLabelNumeric = isNumericLabel(value, labelStart, i);
      labelStart = i + 1;
    } else if (code >= 65 && code <= 90) plain = false;
    else if (!((code >= 97 && code <= 122) || (code >= 48 && code <= 57) || code === 45 || code === 95))
      return null;
  }
  if (plain) {
    if (colon > 253 || (lastLabelNumeric && !isDottedQuad(value, colon))) return null;
    return value; // the usual case: nothing allocated
  }
  const name = value.slice(0, colon).toLowerCase().replace(/\.$/, '');
  if (name.length > 253 || (lastLabelNumeric && !isDottedQuad(name, name.length))) return null;
  return colon === value.length ? name : name + value.slice(colon);
}

function canonicalIpLiteral(value: string): string | null {
  const close = value.indexOf(']');
  if (close === -1 || value.includes('%') || !isIPv6(value.slice(1, close))) return null;
  if (close + 1 < value.length && (value.charCodeAt(close + 1) !== 58 || !isPort(value, close + 2)))
    return null;
  return value.toLowerCase();
}

/** 1-5 digits from `start` to the end, at most 65535. */
function isPort(value: string, start: number): boolean {
  const length = value.length - start;
  if (length < 1 || length > 5) return false;
  let port = 0;
  for (let i = start; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 48 || code > 57) return false;
    port = port * 10 + code - 48;
  }
  return port <= 65535;
}

/** All digits, or a 0x hex number: the last label of something that is meant as an IPv4 address. */
function isNumericLabel(value: string, start: number, end: number): boolean {
  if (end - start > 2 && value.charCodeAt(start) === 48 && (value.charCodeAt(start + 1) | 32) === 120)
    return true;
  for (let i = start; i < end; i++) {
    const code = value.charCodeAt(i);
    if (code < 48 || code > 57) return false;
  }
  return true;
}

/** `value` up to `end` is four decimal numbers 0-255 without leading zeros, as every IP parser reads them alike. */
function isDottedQuad(value: string, end: number): boolean {
  let parts = 0;
  let start = 0;
  for (let i = 0; i <= end; i++) {
    if (i < end && value.charCodeAt(i) !== 46) continue;
    const length = i - start;
    if (length < 1 || length > 3 || (length > 1 && value.charCodeAt(start) === 48)) return false;
    let number = 0;
    for (let j = start; j < i; j++) {
      const code = value.charCodeAt(j);
      if (code < 48 || code > 57) return false;
      number = number * 10 + code - 48;
    }
    if (number > 255 || ++parts > 4) return false;
    start = i + 1;
  }
  return parts === 4;
}
