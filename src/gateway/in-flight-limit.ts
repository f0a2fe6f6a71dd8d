/** Which cap refused a request: the credential's or the client address's. */
export type InFlightRefusal = 'credential' | 'ip';

/** The `detail` of the 429 `too_many_in_flight` for each cap. */
export const IN_FLIGHT_REFUSAL_DETAIL: Readonly<Record<InFlightRefusal, string>> = Object.freeze({
  credential: 'Too many requests of this credential are in progress; retry when one has finished',
  ip: 'Too many requests from this address are in progress; retry when one has finished',
});

/**
 * Counts the requests each key (a credential id, a client address) has in flight, refusing one more
 * past `max`. A key's entry is removed when its count returns to zero, so the map only ever holds
 * keys with requests in flight.
 */
export class InFlightCounter {
  #max = Number.POSITIVE_INFINITY;
  readonly #counts = new Map<string, number>();

  /** `max` null counts without refusing, so a reload that sets a cap finds the counts right. */
  constructor(max: number | null) {
    this.max = max;
  }

  set max(max: number | null) {
    if (max !== null && (!Number.isInteger(max) || max < 1))
      throw new RangeError('max must be a positive integer');
    this.#max = max ?? Number.POSITIVE_INFINITY;
  }

  /** Counts one more request for `key`; false (and nothing counted) when it already has `max`. */
  tryAcquire(key: string): boolean {
    const count = this.#counts.get(key) ?? 0;
    if (count >= this.#max) return false;
    this.#counts.set(key, count + 1);
    return true;
  }

  /** Ends one request of `key`. Callers release what they acquired; `InFlightLease` makes that once. */
  release(key: string): void {
    const count = this.#counts.get(key);
    if (count === undefined) throw new Error('released an in-flight slot that was never acquired');
    if (count === 1) this.#counts.delete(key);
    else this.#counts.set(key, count - 1);
  }

  /** Requests `key` has in flight now. */
  inFlight(key: string): number {
    return this.#counts.get(key) ?? 0;
  }

  /** How many keys have a request in flight (zero when everything was released). */
  get keys(): number {
    return this.#counts.size;
  }
}

/**
 * One admitted request's slots. `release()` may be called on every path a request can end by (and
 * more than once); only the first call gives the slots back.
 */
export class InFlightLease {
  readonly #limits: InFlightLimits;
  readonly #credentialId: string;
  readonly #ip: string;
  #released = false;

  constructor(limits: InFlightLimits, credentialId: string, ip: string) {
    this.#limits = limits;
    this.#credentialId = credentialId;
    this.#ip = ip;
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#limits.perCredential.release(this.#credentialId);
    this.#limits.perIp.release(this.#ip);
  }
}

export interface InFlightCaps {
  readonly perCredential: number | null;
  readonly perIp: number | null;
}

/**
 * The caps on requests in flight to an upstream per credential and per client address (one caller
 * must not hold the whole upstream pool). Each cap is optional (null: none). O(1) per request: two
 * map lookups to admit, two to release. One instance serves every generation of a reloaded
 * gateway, so requests in flight across a reload stay counted; `setCaps` applies new caps.
 *
 * @example
 * const inFlight = new InFlightLimits({ perCredential: 64, perIp: 96 });
 * const lease = inFlight.admit(caller.credentialId, ip);
 * if (typeof lease === 'string') return refuse429(lease);
 * forward({ …, done: () => lease.release() });
 */
export class InFlightLimits {
  readonly perCredential: InFlightCounter;
  readonly perIp: InFlightCounter;

  constructor(caps: InFlightCaps) {
    this.perCredential = new InFlightCounter(caps.perCredential);
    this.perIp = new InFlightCounter(caps.perIp);
  }

  setCaps(caps: InFlightCaps): void {
    this.perCredential.max = caps.perCredential;
    this.perIp.max = caps.perIp;
  }

  /** A lease holding one slot of each cap, or which cap is full (then nothing is held). */
  admit(credentialId: string, ip: string): InFlightLease | InFlightRefusal {
    if (!this.perCredential.tryAcquire(credentialId)) return 'credential';
    if (!this.perIp.tryAcquire(ip)) {
      this.perCredential.release(credentialId);
      return 'ip';
    }
    return new InFlightLease(this, credentialId, ip);
  }
}
