import { BlockList, isIP } from 'node:net';

export interface IpAllowlist {
  /** Whether a client address falls inside one of the list's ranges. */
  allows(ip: string): boolean;
}

interface Range {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** Parses `203.0.113.7`, `10.0.0.0/8`, `2001:db8::/32` or `::1`; undefined when it is none of them. */
export function parseCidr(text: string): Range | undefined {
  const slash = text.indexOf('/');
  const address = slash === -1 ? text : text.slice(0, slash);
  const version = isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefixText = slash === -1 ? String(max) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) return undefined;
  return { address, prefix: Number(prefixText), family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** An IPv4 client seen through an IPv6 socket (`::ffff:1.2.3.4`) is matched as the IPv4 address. */
export function normalizeIp(ip: string): string {
  if (ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4) return ip.slice(7);
  return ip;
}

// One shared matcher for the common empty list: a million cached keys need not hold a million.
const ALLOW_EVERY_ADDRESS: IpAllowlist = Object.freeze({ allows: () => true });

/** Builds a matcher for CIDR ranges (K8), IPv4 and IPv6; an empty list allows every address. */
export function createIpAllowlist(cidrs: readonly string[]): IpAllowlist {
  if (cidrs.length === 0) return ALLOW_EVERY_ADDRESS;
  const list = new BlockList();
  for (const cidr of cidrs) {
    const range = parseCidr(cidr);
    if (!range) throw new Error(`invalid CIDR ${cidr}`);
    list.addSubnet(range.address, range.prefix, range.family);
  }
  return {
    allows(ip) {
      const address = normalizeIp(ip);
      const version = isIP(address);
      return version !== 0 && list.check(address, version === 4 ? 'ipv4' : 'ipv6');
    },
  };
}
