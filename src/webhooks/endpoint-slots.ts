/** One endpoint's claimed deliveries on this instance: `held` counts those waiting or in flight. */
interface Slot<T> {
  readonly waiting: T[];
  inFlight: number;
  held: number;
}

/**
 * Per-endpoint accounting of the deliveries one worker holds (W3): each endpoint may hold up to twice
 * its concurrency (one round in flight, one round waiting), runs at most `concurrency` attempts at a
 * time, and is refilled only once it is down to one round, so a busy endpoint costs one claim per
 * round rather than one per completion. An endpoint that holds nothing is forgotten.
 */
export class EndpointSlots<T> {
  readonly #concurrency: number;
  readonly #capacity: number;
  readonly #slots = new Map<string, Slot<T>>();

  constructor(concurrency: number) {
    this.#concurrency = concurrency;
    this.#capacity = 2 * concurrency;
  }

  /** How many more deliveries a claim may take for `endpointId`. */
  roomFor(endpointId: string): number {
    return this.#capacity - (this.#slots.get(endpointId)?.held ?? 0);
  }

  /** Endpoints not to claim for: those still holding more than one round. */
  full(): Set<string> {
    const full = new Set<string>();
    for (const [id, slot] of this.#slots) if (slot.held > this.#concurrency) full.add(id);
    return full;
  }

  /** A claimed delivery now counts against its endpoint (before it is prepared). */
  hold(endpointId: string): void {
    const slot = this.#slots.get(endpointId) ?? { waiting: [], inFlight: 0, held: 0 };
    slot.held++;
    this.#slots.set(endpointId, slot);
  }

  /** A held delivery, prepared, waits for its turn. */
  wait(endpointId: string, delivery: T): void {
    this.#slots.get(endpointId)?.waiting.push(delivery);
  }

  /** The next waiting delivery if the endpoint has an attempt to spare (it now counts in flight). */
  startNext(endpointId: string): T | undefined {
    const slot = this.#slots.get(endpointId);
    if (!slot || slot.inFlight >= this.#concurrency) return undefined;
    const next = slot.waiting.shift();
    if (next !== undefined) slot.inFlight++;
    return next;
  }

  /** Removes every waiting delivery of one endpoint (they stay held until each is released). */
  takeWaiting(endpointId: string): T[] {
    return this.#slots.get(endpointId)?.waiting.splice(0) ?? [];
  }

  /** Removes every waiting delivery of every endpoint (they stay held until each is released). */
  takeAllWaiting(): T[] {
    return [...this.#slots.values()].flatMap((slot) => slot.waiting.splice(0));
  }

  /** An attempt started by `startNext` ended; true when a claim should now refill the endpoint. */
  attemptEnded(endpointId: string): boolean {
    const slot = this.#slots.get(endpointId);
    if (slot) slot.inFlight--;
    return this.release(endpointId);
  }

  /**
   * A held delivery leaves its endpoint (attempted, skipped or given back); true when the endpoint is
   * just down to one round, so a claim would now take a round's worth for it.
   */
  release(endpointId: string): boolean {
    const slot = this.#slots.get(endpointId);
    if (!slot) return false;
    const refill = slot.held-- === this.#concurrency + 1;
    if (slot.held <= 0 && slot.inFlight === 0 && slot.waiting.length === 0) this.#slots.delete(endpointId);
    return refill;
  }

  /** Endpoints holding deliveries. */
  endpoints(): IterableIterator<string> {
    return this.#slots.keys();
  }
}
