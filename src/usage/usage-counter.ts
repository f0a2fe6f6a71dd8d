/** One credential's counts in one minute: 2xx, 3xx, 4xx, 5xx (a 499 or any other code counts by its class; 1xx as 2xx). */
export type StatusCounts = [number, number, number, number];

/** One address a credential used within a batch. */
export interface IpUse {
  firstSeen: number;
  lastSeen: number;
  count: number;
}

/** Everything counted for one credential since the last flush. */
export interface CredentialUsage {
  readonly minutes: Map<number, StatusCounts>;
  readonly ips: Map<string, IpUse>;
}

/** What one flush writes: the counts of every credential used since the previous one. */
export interface UsageBatch {
  readonly id: string;
  readonly credentials: ReadonlyMap<string, CredentialUsage>;
}

const MINUTE_MS = 60_000;

/**
 * The request path's side of usage records (L8): `count` is one or two Map lookups and integer
 * increments; an entry is allocated only the first time a credential, minute or address appears
 * in a batch. `take` swaps the whole map out for the flusher (`usage-flusher.ts`).
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
    let usage = this.#credentials.get(credentialId);
    if (usage === undefined) {
      usage = { minutes: new Map(), ips: new Map() };
      this.#credentials.set(credentialId, usage);
    }
    const minute = now - (now % MINUTE_MS);
    let counts = usage.minutes.get(minute);
    if (counts === undefined) {
      counts = [0, 0, 0, 0];
      usage.minutes.set(minute, counts);
    }
    const statusClass = status < 300 ? 0 : status < 400 ? 1 : status < 500 ? 2 : 3;
    counts[statusClass]++;
    const use = usage.ips.get(ip);
    if (use === undefined) usage.ips.set(ip, { firstSeen: now, lastSeen: now, count: 1 });
    else {
      use.lastSeen = now;
      use.count++;
    }
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
