import { BlockList, isIP } from 'node:net';

/** Why an address is not a public unicast address. */
export type AddressClass =
  | 'public'
  | 'private'
  | 'loopback'
  | 'link_local'
  | 'unique_local'
  | 'shared'
  | 'reserved'
  | 'metadata'
  | 'multicast'
  | 'unspecified';

/** Classes the development flag lets through: the networks a developer's own receivers live on. */
const DEVELOPMENT_CLASSES: ReadonlySet<AddressClass> = new Set([
  'private',
  'loopback',
  'link_local',
  'unique_local',
  'shared',
  'reserved',
]);

// Cloud instance metadata services: never a webhook receiver, whatever the flag says.
const METADATA = ['169.254.169.254', '169.254.170.2', '169.254.170.23', '100.100.100.200', '192.0.0.192'];
const METADATA_V6 = ['fd00:ec2::254', 'fd00:ec2::23'];

const RANGES: readonly [AddressClass, 'ipv4' | 'ipv6', string, number][] = [
  ['unspecified', 'ipv4', '0.0.0.0', 8],
  ['private', 'ipv4', '10.0.0.0', 8],
  ['shared', 'ipv4', '100.64.0.0', 10],
  ['loopback', 'ipv4', '127.0.0.0', 8],
  ['link_local', 'ipv4', '169.254.0.0', 16],
  ['private', 'ipv4', '172.16.0.0', 12],
  ['reserved', 'ipv4', '192.0.0.0', 24],
  ['reserved', 'ipv4', '192.0.2.0', 24],
  ['reserved', 'ipv4', '192.88.99.0', 24],
  ['private', 'ipv4', '192.168.0.0', 16],
  ['reserved', 'ipv4', '198.18.0.0', 15],
  ['reserved', 'ipv4', '198.51.100.0', 24],
  ['reserved', 'ipv4', '203.0.113.0', 24],
  ['multicast', 'ipv4', '224.0.0.0', 4],
  ['reserved', 'ipv4', '240.0.0.0', 4],
  ['unspecified', 'ipv6', '::', 128],
  ['loopback', 'ipv6', '::1', 128],
  ['reserved', 'ipv6', '100::', 64],
  ['reserved', 'ipv6', '2001:db8::', 32],
  ['reserved', 'ipv6', '2001::', 32],
  ['reserved', 'ipv6', '64:ff9b:1::', 48],
  ['unique_local', 'ipv6', 'fc00::', 7],
  ['link_local', 'ipv6', 'fe80::', 10],
  ['reserved', 'ipv6', 'fec0::', 10],
  ['multicast', 'ipv6', 'ff00::', 8],
];

const lists = new Map<AddressClass, BlockList>();
for (const [kind, family, network, prefix] of RANGES) {
  const list = lists.get(kind) ?? new BlockList();
  lists.set(kind, list);
  list.addSubnet(network, prefix, family);
}
const metadata = new BlockList();
for (const address of METADATA) metadata.addAddress(address, 'ipv4');
for (const address of METADATA_V6) metadata.addAddress(address, 'ipv6');

/**
 * Classifies an IP address for the SSRF rules (W5). IPv6 forms that carry an IPv4 address
 * (IPv4-mapped, IPv4-compatible, NAT64, 6to4) are judged by the IPv4 address inside.
 */
export function classifyAddress(address: string): AddressClass {
  const version = isIP(address);
  if (version === 0) return 'reserved';
  if (version === 6) {
    const embedded = embeddedIpv4(address);
    if (embedded !== undefined) return classifyAddress(embedded);
  }
  const family = version === 4 ? 'ipv4' : 'ipv6';
  if (metadata.check(address, family)) return 'metadata';
  for (const [kind, list] of lists) {
    if (list.check(address, family)) return kind;
  }
  return 'public';
}

/** Whether deliveries may go to `address`; `allowPrivate` is the development flag. */
export function addressAllowed(address: string, allowPrivate: boolean): boolean {
  const kind = classifyAddress(address);
  return kind === 'public' || (allowPrivate && DEVELOPMENT_CLASSES.has(kind));
}

/** A phrase for error messages: "a loopback address". */
export function describeClass(kind: AddressClass): string {
  const names: Record<AddressClass, string> = {
    public: 'a public address',
    private: 'a private address',
    loopback: 'a loopback address',
    link_local: 'a link-local address',
    unique_local: 'a unique-local address',
    shared: 'a carrier-grade NAT address',
    reserved: 'a reserved address',
    metadata: 'a cloud metadata address',
    multicast: 'a multicast address',
    unspecified: 'an unspecified address',
  };
  return names[kind];
}

function embeddedIpv4(address: string): string | undefined {
  const words = ipv6Words(address);
  if (!words) return undefined;
  const v4 = (high: number, low: number) => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  const zeros = (from: number, to: number) => words.slice(from, to).every((w) => w === 0);
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, deprecated but still routed by some stacks)
  if (zeros(0, 5) && (words[5] === 0xffff || (words[5] === 0 && (words[6] as number) !== 0))) {
    return v4(words[6] as number, words[7] as number);
  }
  // 64:ff9b::a.b.c.d (NAT64 well-known prefix)
  if (words[0] === 0x64 && words[1] === 0xff9b && zeros(2, 6))
    return v4(words[6] as number, words[7] as number);
  // 2002:AABB:CCDD::/48 (6to4)
  if (words[0] === 0x2002) return v4(words[1] as number, words[2] as number);
  return undefined;
}

/** The eight 16-bit words of an IPv6 address (which `isIP` has already accepted). */
function ipv6Words(address: string): number[] | undefined {
  let text = address.toLowerCase();
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  const tail: number[] = [];
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    tail.push((a << 8) | b, (c << 8) | d);
    text = text.slice(0, dotted.index);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const [head = '', rest] = text.split('::') as [string, string | undefined];
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((w) => Number.parseInt(w, 16)));
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  const missing = 8 - tail.length - left.length - right.length;
  if (missing < 0 || (rest === undefined && missing !== 0)) return undefined;
  return [...left, ...new Array<number>(missing).fill(0), ...right, ...tail];
}
