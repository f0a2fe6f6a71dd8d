import { isIP } from 'node:net';
import { createIpAllowlist, normalizeIp } from '../net/ip-allowlist.ts';

/**
 * Who the client is when Gatehouse sits behind TLS-terminating proxies it was told to trust
 * (`GATEHOUSE_TRUSTED_PROXIES`). Forwarding headers are believed only from those peers, and only
 * as far as the chain of trusted hops reaches: walking `X-Forwarded-For` from the right, the first
 * address that is not a trusted proxy is the client. From anyone else the headers are ignored.
 */
export interface ClientAddressResolver {
  /** Whether the direct peer is a trusted proxy (so its X-Forwarded-* headers count). */
  trusts(peer: string): boolean;
  /** The client address for a request from `peer` carrying `forwardedFor`. */
  clientIp(peer: string, forwardedFor: string | undefined): string;
}

export function createClientAddressResolver(trustedProxies: readonly string[]): ClientAddressResolver {
  if (trustedProxies.length === 0) {
    return { trusts: () => false, clientIp: (peer) => normalizeIp(peer) };
  }
  const trusted = createIpAllowlist(trustedProxies);
  return {
    trusts: (peer) => trusted.allows(peer),
    clientIp(peer, forwardedFor) {
      let client = normalizeIp(peer);
      if (forwardedFor === undefined || !trusted.allows(client)) return client;
      const hops = forwardedFor.split(',');
      for (let i = hops.length - 1; i >= 0; i--) {
        const hop = hopAddress((hops[i] as string).trim());
        // A hop a trusted proxy wrote but that is no address: the proxy before it is all we know.
        if (hop === null) return client;
        client = hop;
        if (!trusted.allows(hop)) return hop;
      }
      return client;
    },
  };
}

/** `203.0.113.7`, `203.0.113.7:4711`, `2001:db8::1` or `[2001:db8::1]:4711` → the address; else null. */
function hopAddress(text: string): string | null {
  if (isIP(text) !== 0) return normalizeIp(text);
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    const inner = end === -1 ? '' : text.slice(1, end);
    return isIP(inner) === 6 ? normalizeIp(inner) : null;
  }
  const colon = text.lastIndexOf(':');
  if (colon !== -1 && /^\d{1,5}$/.test(text.slice(colon + 1)) && isIP(text.slice(0, colon)) === 4)
    return text.slice(0, colon);
  return null;
}
