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

/**
 * The IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and later), plus multicast
 * and site-local. Ranges the registry calls globally reachable but that are anycast services
 * (AS112 sinks, AMT relays, PCP/TURN anycast, ORCHID) are refused too: none is a webhook receiver.
 */
const RANGES: readonly [AddressClass, 'ipv4' | 'ipv6', string, number][] = [
  ['unspecified', 'ipv4', '0.0.0.0', 8], // "this network" (RFC 791)
  ['private', 'ipv4', '10.0.0.0', 8], // RFC 1918
  ['shared', 'ipv4', '100.64.0.0', 10], // RFC 6598
  ['loopback', 'ipv4', '127.0.0.0', 8],
  ['link_local', 'ipv4', '169.254.0.0', 16],
  ['private', 'ipv4', '172.16.0.0', 12],
  ['reserved', 'ipv4', '192.0.0.0', 24], // IETF protocol assignments (DS-Lite, NAT64 discovery…)
  ['reserved', 'ipv4', '192.0.2.0', 24], // documentation (TEST-NET-1)
  ['reserved', 'ipv4', '192.31.196.0', 24], // AS112-v4
  ['reserved', 'ipv4', '192.52.193.0', 24], // AMT
  ['reserved', 'ipv4', '192.88.99.0', 24], // deprecated 6to4 relay anycast
  ['private', 'ipv4', '192.168.0.0', 16],
  ['reserved', 'ipv4', '192.175.48.0', 24], // AS112 direct delegation
  ['reserved', 'ipv4', '198.18.0.0', 15], // benchmarking
  ['reserved', 'ipv4', '198.51.100.0', 24], // documentation (TEST-NET-2)
  ['reserved', 'ipv4', '203.0.113.0', 24], // documentation (TEST-NET-3)
  ['multicast', 'ipv4', '224.0.0.0', 4],
  ['reserved', 'ipv4', '240.0.0.0', 4], // reserved, and the limited broadcast 255.255.255.255
  ['unspecified', 'ipv6', '::', 128],
  ['loopback', 'ipv6', '::1', 128],
  ['reserved', 'ipv6', '100::', 64], // discard-only (RFC 6666)
  ['reserved', 'ipv6', '100:0:0:1::', 64], // dummy prefix (RFC 9780)
  ['reserved', 'ipv6', '2001::', 23], // IETF protocol assignments: Teredo, benchmarking, AMT, ORCHID…
  ['reserved', 'ipv6', '2001:db8::', 32], // documentation
  ['reserved', 'ipv6', '2620:4f:8000::', 48], // AS112 direct delegation
  ['reserved', 'ipv6', '3fff::', 20], // documentation (RFC 9637)
  ['reserved', 'ipv6', '5f00::', 16], // segment routing SIDs (RFC 9602)
  ['unique_local', 'ipv6', 'fc00::', 7],
  ['link_local', 'ipv6', 'fe80::', 10],
  ['reserved', 'ipv6', 'fec0::', 10], // deprecated site-local
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
/** IANA allocates global unicast only from 2000::/3; everything else is unassigned or special. */
const globalUnicast = new BlockList();
globalUnicast.addSubnet('2000::', 3, 'ipv6');

/**
 * Classifies an IP address for the SSRF rules (W5). IPv6 forms that carry an IPv4 address
 * (IPv4-mapped, IPv4-translated, IPv4-compatible, NAT64, 6to4, Teredo) are judged by the IPv4
 * address inside; IPv6 outside 2000::/3 is never public.
 */
export function classifyAddress(address: string): AddressClass {
  const version = isIP(address);
  if (version === 4) return classifyIn(address, 'ipv4');
  const words = version === 6 ? ipv6Words(address) : undefined;
  if (words === undefined) return 'reserved';
  const embedded = embeddedClass(words);
  if (embedded !== undefined) return embedded;
  const plain = words.map((word) => word.toString(16)).join(':');
  const kind = classifyIn(plain, 'ipv6');
  return kind === 'public' && !globalUnicast.check(plain, 'ipv6') ? 'reserved' : kind;
}

function classifyIn(address: string, family: 'ipv4' | 'ipv6'): AddressClass {
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

/**
 * What to set for deliveries to reach an address of `kind`, for the end of a refusal; '' when no
 * setting would (metadata, multicast and unspecified addresses are refused whatever the flag).
 */
export function allowPrivateHint(kind: AddressClass): string {
  return DEVELOPMENT_CLASSES.has(kind)
    ? 'for a receiver on this machine or a private network in development, set GATEHOUSE_WEBHOOK_ALLOW_PRIVATE=1 (refused in production mode)'
    : '';
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

/** The class of an IPv6 address that carries an IPv4 one, by the IPv4 address; undefined for others. */
function embeddedClass(w: readonly number[]): AddressClass | undefined {
  const word = (i: number) => w[i] as number;
  const v4 = (high: number, low: number) =>
    classifyIn(`${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`, 'ipv4');
  const zeros = (from: number, to: number) => w.slice(from, to).every((x) => x === 0);
  // ::ffff:a.b.c.d IPv4-mapped (RFC 4291): how dual-stack sockets spell an IPv4 address
  if (zeros(0, 5) && word(5) === 0xffff) return v4(word(6), word(7));
  // 64:ff9b::a.b.c.d NAT64 well-known prefix (RFC 6052): globally routed to the IPv4 address
  if (word(0) === 0x64 && word(1) === 0xff9b && zeros(2, 6)) return v4(word(6), word(7));
  // 2002:AABB:CCDD::/48 6to4 (RFC 3056): relayed to the IPv4 address
  if (word(0) === 0x2002) return v4(word(1), word(2));
  // ::ffff:0:a.b.c.d IPv4-translated (RFC 6145) and ::a.b.c.d IPv4-compatible (deprecated): stateless
  // translators and old stacks reach the IPv4 address, but no public receiver is spelled this way
  if ((zeros(0, 4) && word(4) === 0xffff && word(5) === 0) || (zeros(0, 6) && word(6) !== 0)) {
    const kind = v4(word(6), word(7));
    return kind === 'public' ? 'reserved' : kind;
  }
  // 64:ff9b:1::/48 local-use NAT64 (RFC 8215, IPv4 address at any RFC 6052 position) and
  // 2001::/32 Teredo (RFC 4380: server in words 2-3, client inverted in words 6-7): never public,
  // and never a way around the metadata rule
  const bytes = w.flatMap((x) => [x >> 8, x & 0xff]);
  const at = (...i: number[]) => {
    const [a, b, c, d] = i.map((n) => bytes[n] as number) as [number, number, number, number];
    return v4((a << 8) | b, (c << 8) | d);
  };
  let carried: AddressClass[] | undefined;
  if (word(0) === 0x64 && word(1) === 0xff9b && word(2) === 1) {
    carried = [at(6, 7, 9, 10), at(7, 9, 10, 11), at(9, 10, 11, 12), at(12, 13, 14, 15)];
  } else if (word(0) === 0x2001 && word(1) === 0) {
    carried = [v4(word(2), word(3)), v4(~word(6) & 0xffff, ~word(7) & 0xffff)];
  }
  if (carried === undefined) return undefined;
  return carried.includes('metadata') ? 'metadata' : 'reserved';
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
