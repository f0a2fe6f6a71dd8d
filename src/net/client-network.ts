import { isIP } from 'node:net';
import { normalizeIp } from './ip-allowlist.ts';

/**
 * The network a client address stands for when counting what one client does: the IPv4 address
 * itself, or the /64 an IPv6 address is in (one host usually holds a whole /64, so counting single
 * IPv6 addresses would give it 2^64 budgets). Anything that is not an address is returned as it is.
 */
export function clientNetworkOf(ip: string): string {
  const address = normalizeIp(ip);
  if (isIP(address) !== 6) return address;
  const groups = expandIpv6(address);
  return `${groups.slice(0, 4).join(':')}::/64`;
}

function expandIpv6(address: string): string[] {
  const [head = '', tail] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - left.length - right.length;
  const groups = [...left, ...Array.from({ length: Math.max(0, missing) }, () => '0'), ...right];
  return groups.map((group) => (group.includes('.') ? group : group.toLowerCase().replace(/^0+(?=.)/, '')));
}
