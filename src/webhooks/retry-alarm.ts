/**
 * One timer for the earliest retry this instance scheduled, so the worker wakes when it comes due
 * rather than at the next poll. A later retry than the one already set changes nothing.
 */
export class RetryAlarm {
  readonly #ring: () => void;
  #timer: NodeJS.Timeout | null = null;
  #at = Number.POSITIVE_INFINITY;

  constructor(ring: () => void) {
    this.#ring = ring;
  }

  /** Rings at `at` (Unix milliseconds) unless it is already set to ring sooner. */
  setFor(at: number): void {
    if (at >= this.#at) return;
    this.cancel();
    this.#at = at;
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        this.#at = Number.POSITIVE_INFINITY;
        this.#ring();
      },
      Math.max(0, at - Date.now()),
    );
    this.#timer.unref();
  }

  cancel(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#at = Number.POSITIVE_INFINITY;
  }
}
