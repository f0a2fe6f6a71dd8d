import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { addressAllowed, classifyAddress, describeClass } from './address-policy.ts';

/** Resolves a host name to every address it has. */
export type ResolveAll = (hostname: string) => Promise<string[]>;

export const resolveAll: ResolveAll = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

export type UrlVerdict = { ok: true; url: URL } | { ok: false; message: string };

const MAX_URL_LENGTH = 2048;

/**
 * Whether a webhook URL may be registered (W5): https only, no credentials or fragment, and every
 * address its host resolves to must be public (unless `allowPrivate`, the development flag). The
 * same address rules are applied again at each connection, to the address actually connected to.
 */
export async function checkEndpointUrl(
  text: string,
  options: { allowPrivate: boolean; resolve?: ResolveAll },
): Promise<UrlVerdict> {
  if (text.length > MAX_URL_LENGTH)
    return { ok: false, message: `must be at most ${MAX_URL_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, message: 'must be an absolute https:// URL' };
  }
  if (url.protocol !== 'https:') return { ok: false, message: 'must use https://' };
  if (url.username !== '' || url.password !== '') {
    return { ok: false, message: 'must not contain a user name or password' };
  }
  if (url.hash !== '') return { ok: false, message: 'must not contain a fragment (#…)' };
  const host = hostOf(url);
  if (host === '') return { ok: false, message: 'must name a host' };

  let addresses: string[];
  if (isIP(host) !== 0) {
    addresses = [host];
  } else {
    try {
      addresses = await (options.resolve ?? resolveAll)(host);
    } catch {
      return { ok: false, message: 'names a host that does not resolve' };
    }
    if (addresses.length === 0) return { ok: false, message: 'names a host that does not resolve' };
  }
  for (const address of addresses) {
    if (!addressAllowed(address, options.allowPrivate)) {
      const what = describeClass(classifyAddress(address));
      return {
        ok: false,
        message: isIP(host) !== 0 ? `must not point at ${what}` : `names a host that resolves to ${what}`,
      };
    }
  }
  return { ok: true, url };
}

/** The URL's host without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}
