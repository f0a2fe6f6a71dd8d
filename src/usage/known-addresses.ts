/**
 * How long after its last use an address is taken as stored without asking the database. Retention
 * keeps an address at least an hour after its last use (`retention/retention-config.ts`), so one
 * used within this time cannot have been purged since.
 */
const TRUSTED_FOR_MS = 10 * 60_000;
const DEFAULT_CAPACITY = 250_000;
/** Addresses kept per credential: a credential used from more is read for the rest. */
const ADDRESSES_PER_CREDENTIAL = 16;

/** One credential's confirmed facts: most have one address, so the first is held inline. */
interface Known {
  firstUse: number;
  ip: string;
  lastSeen: number;
  more: Map<string, number> | null;
}

/**
 * What this store has seen committed of each credential's usage: its first recorded use and the
 * addresses it used lately. A batch's credential whose every address is known here needs no read
 * before its counts are written (the read cost as much as both writes together): its first use is
 * this one and it has no new address. Only facts read from or committed to the database are kept,
 * so what this says is true there; an unknown credential or address is simply read. At most
 * `capacity` credentials, the least recently confirmed forgotten first.
 */
export class KnownAddresses {
  readonly #entries = new Map<string, Known>();
  readonly #capacity: number;

  constructor(capacity = DEFAULT_CAPACITY) {
    this.#capacity = capacity;
  }

  /** The credential's first use when every one of `ips` is a known address at `now`; otherwise undefined. */
  firstUseIfKnown(credentialId: string, ips: Iterable<string>, now: number): number | undefined {
    const known = this.#entries.get(credentialId);
    if (known === undefined) return undefined;
    for (const ip of ips) {
      const lastSeen = ip === known.ip ? known.lastSeen : known.more?.get(ip);
      if (lastSeen === undefined || now - lastSeen > TRUSTED_FOR_MS) return undefined;
    }
    return known.firstUse;
  }

  /** Records what a committed write proved: the credential's first use and these addresses' last use. */
  confirm(
    credentialId: string,
    firstUse: number,
    ips: Iterable<readonly [ip: string, lastSeen: number]>,
  ): void {
    let known = this.#entries.get(credentialId);
    if (known !== undefined) this.#entries.delete(credentialId);
    else if (this.#entries.size >= this.#capacity)
      this.#entries.delete(this.#entries.keys().next().value as string);
    for (const [ip, lastSeen] of ips) {
      if (known === undefined) known = { firstUse, ip, lastSeen, more: null };
      else if (ip === known.ip) known.lastSeen = Math.max(known.lastSeen, lastSeen);
      else {
        known.more ??= new Map();
        const before = known.more.get(ip);
        if (before !== undefined) known.more.set(ip, Math.max(before, lastSeen));
        else if (known.more.size < ADDRESSES_PER_CREDENTIAL - 1) known.more.set(ip, lastSeen);
      }
    }
    if (known === undefined) return;
    known.firstUse = Math.min(known.firstUse, firstUse);
    this.#entries.set(credentialId, known);
  }

  get size(): number {
    return this.#entries.size;
  }
}
