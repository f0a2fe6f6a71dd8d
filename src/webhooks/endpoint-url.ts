import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { addressAllowed, allowPrivateHint, classifyAddress, describeClass } from './address-policy.ts';

/** Resolves a host name to every address it has. */
export type ResolveAll = (hostname: string) => Promise<string[]>;

export const resolveAll: ResolveAll = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

/** A refusal's `message` is about the URL field; its `hint`, when set, names the setting that would allow it. */
export type UrlVerdict = { ok: true; url: URL } | { ok: false; message: string; hint?: string };

/** Special-use names (RFC 2606, RFC 6761) that never resolve in public DNS. */
const NEVER_RESOLVES = /\.(example|invalid|test)\.?$|^(example|invalid|test)\.?$/i;

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
      addresses = [];
    }
    if (addresses.length === 0) return { ok: false, message: doesNotResolve(host) };
  }
  for (const address of addresses) {
    if (!addressAllowed(address, options.allowPrivate)) {
      const kind = classifyAddress(address);
      const what = describeClass(kind);
      const hint = allowPrivateHint(kind);
      return {
        ok: false,
        message: isIP(host) !== 0 ? `must not point at ${what}` : `names a host that resolves to ${what}`,
        ...(hint === '' ? {} : { hint }),
      };
    }
  }
  return { ok: true, url };
}

function doesNotResolve(host: string): string {
  const reserved = NEVER_RESOLVES.test(host)
    ? ' (.example, .invalid and .test names never resolve: they are reserved for documentation and tests)'
    : '';
  return `names a host, ${host}, that does not resolve${reserved}; use a host name with a DNS record`;
}

/** The URL's host without IPv6 brackets. */
export function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}
