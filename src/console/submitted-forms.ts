/**
 * Form ids already acted on, per session, so that a form posted twice (a double click, "resubmit"
 * from history) acts once. Kept in memory, bounded, for as long as a session can live; on several
 * instances a resubmission that reaches another instance is not caught (the admin API's
 * Idempotency-Key is the durable mechanism; forms cannot send headers).
 */
export class SubmittedForms {
  readonly #seen = new Map<string, number>();
  readonly #ttlMs: number;
  readonly #max: number;

  constructor(ttlMs: number, max = 50_000) {
    this.#ttlMs = ttlMs;
    this.#max = max;
  }

  /** True the first time a form id is seen for a session; false for a repeat. */
  claim(sessionHash: string, formId: string, now = Date.now()): boolean {
    const key = `${sessionHash} ${formId}`;
    const seenUntil = this.#seen.get(key);
    if (seenUntil !== undefined && seenUntil > now) return false;
    if (this.#seen.size >= this.#max) this.#sweep(now);
    this.#seen.set(key, now + this.#ttlMs);
    return true;
  }

  #sweep(now: number): void {
    for (const [key, until] of this.#seen) if (until <= now) this.#seen.delete(key);
    // Still full: forget the oldest half rather than grow without bound.
    if (this.#seen.size >= this.#max) {
      let drop = Math.floor(this.#max / 2);
      for (const key of this.#seen.keys()) {
        if (drop-- <= 0) break;
        this.#seen.delete(key);
      }
    }
  }
}
