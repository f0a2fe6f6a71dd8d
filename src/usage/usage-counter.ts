/** One credential's counts in one minute: 2xx, 3xx, 4xx, 5xx (a 499 or any other code counts by its class; 1xx as 2xx). */
export type StatusCounts = [number, number, number, number];

/** One address a credential used within a batch. */
export interface IpUse {
  firstSeen: number;
  lastSeen: number;
  count: number;
}

/**
 * Everything counted for one credential since the last flush. Most credentials use one address
 * within one minute of a batch, so the first minute and address are held inline and the maps are
 * made only when a second one appears (or when the flusher reads them).
 */
export class CredentialUsage {
  #minute: number;
  #counts: StatusCounts = [0, 0, 0, 0];
  #ip: string;
  #use: IpUse;
  #minutes: Map<number, StatusCounts> | null = null;
  #ips: Map<string, IpUse> | null = null;

  constructor(minute: number, ip: string, now: number) {
    this.#minute = minute;
    this.#ip = ip;
    this.#use = { firstSeen: now, lastSeen: now, count: 0 };
  }

  count(minute: number, statusClass: 0 | 1 | 2 | 3, ip: string, now: number): void {
    if (minute !== this.#minute) {
      this.#minutes ??= new Map([[this.#minute, this.#counts]]);
      let counts = this.#minutes.get(minute);
      if (counts === undefined) {
        counts = [0, 0, 0, 0];
        this.#minutes.set(minute, counts);
      }
      this.#minute = minute;
      this.#counts = counts;
    }
    this.#counts[statusClass]++;
    if (ip !== this.#ip) {
      this.#ips ??= new Map([[this.#ip, this.#use]]);
      let use = this.#ips.get(ip);
      if (use === undefined) {
        use = { firstSeen: now, lastSeen: now, count: 0 };
        this.#ips.set(ip, use);
      }
      this.#ip = ip;
      this.#use = use;
    }
    this.#use.lastSeen = now;
    this.#use.count++;
  }

  /** Counts per minute. */
  get minutes(): ReadonlyMap<number, StatusCounts> {
    this.#minutes ??= new Map([[this.#minute, this.#counts]]);
    return this.#minutes;
  }

  /** The addresses used. */
  get ips(): ReadonlyMap<string, IpUse> {
    this.#ips ??= new Map([[this.#ip, this.#use]]);
    return this.#ips;
  }
}

/** What one flush writes: the counts of every credential used since the previous one. */
export interface UsageBatch {
  readonly id: string;
  readonly credentials: ReadonlyMap<string, CredentialUsage>;
}

const MINUTE_MS = 60_000;

/**
 * The request path's side of usage records (L8): `count` is one Map lookup and integer increments;
 * an entry is allocated only the first time a credential, minute or address appears in a batch.
 * `take` swaps the whole map out for the flusher (`usage-flusher.ts`).
 */
export class UsageCounter {
  #credentials = new Map<string, CredentialUsage>();
  #batch = 0;
  readonly #prefix: string;

  constructor(batchPrefix: string) {
    this.#prefix = batchPrefix;
  }

  /** Counts one request of `credentialId` from `ip` that ended with `status` at `now` (ms). */
  count(credentialId: string, ip: string, status: number, now: number): void {
    const minute = now - (now % MINUTE_MS);
    let usage = this.#credentials.get(credentialId);
    if (usage === undefined) {
      usage = new CredentialUsage(minute, ip, now);
      this.#credentials.set(credentialId, usage);
    }
    usage.count(minute, status < 300 ? 0 : status < 400 ? 1 : status < 500 ? 2 : 3, ip, now);
  }

  /** Whether anything was counted since the last `take`. */
  get empty(): boolean {
    return this.#credentials.size === 0;
  }

  /** Hands the counts so far to the caller as one batch with a unique id, and starts afresh. */
  take(): UsageBatch {
    const credentials = this.#credentials;
    this.#credentials = new Map();
    return { id: `${this.#prefix}-${++this.#batch}`, credentials };
  }
}
