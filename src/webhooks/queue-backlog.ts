/**
 * What one worker knows of the deliveries waiting in the queue, learnt from its own claims and this
 * instance's publishes. Two decisions rest on it:
 *
 * - Direct dispatch must not overtake queued deliveries: an endpoint with deliveries waiting gets
 *   new ones through the queue too (oldest first), and so does every endpoint after a claim that
 *   stopped at its limit (anything may be waiting).
 * - A claim skips endpoints that hold a full round, and reads past their due deliveries to do so.
 *   After a claim that saw every due delivery, what remains can only be for the endpoints it skipped
 *   or left deliveries of; claiming again is worth it only once one of those has room, or once new
 *   work is announced (a publish, a replay, a retry coming due); the worker's poll claims anyway.
 */
export class QueueBacklog {
  readonly #waiting = new Set<string>();
  // Until the first claim, nothing is known of what waits.
  #truncated = true;
  /** The only endpoints due deliveries can be for; null when anything may be due. */
  #remainingFor: Set<string> | null = null;
  // What was queued or announced while a claim ran (`claiming` to `claimed`): its read may have
  // missed it, so the claim's outcome tells nothing about it.
  #claimRunning = false;
  readonly #queuedDuringClaim = new Set<string>();
  #announcedDuringClaim = false;

  /** A claim is about to read the queue. */
  claiming(): void {
    this.#claimRunning = true;
    this.#queuedDuringClaim.clear();
    this.#announcedDuringClaim = false;
  }

  /** Deliveries were queued for these endpoints here. */
  queued(endpointIds: Iterable<string>): void {
    for (const id of endpointIds) {
      this.#waiting.add(id);
      this.#remainingFor?.add(id);
      if (this.#claimRunning) this.#queuedDuringClaim.add(id);
    }
  }

  /** There may be new due deliveries anywhere. */
  announce(): void {
    this.#remainingFor = null;
    if (this.#claimRunning) this.#announcedDuringClaim = true;
  }

  mayDispatch(endpointId: string): boolean {
    return !this.#truncated && !this.#waiting.has(endpointId);
  }

  /** Whether a claim skipping the endpoints in `full` may find anything. */
  worthClaiming(full: ReadonlySet<string>): boolean {
    if (this.#remainingFor === null) return true;
    for (const id of this.#remainingFor) if (!full.has(id)) return true;
    return false;
  }

  /**
   * A claim that skipped `exclude` left due deliveries of `leftBehind` for lack of room; `truncated`
   * when it stopped at its limit (it did not see every due delivery).
   */
  claimed(exclude: ReadonlySet<string>, leftBehind: ReadonlySet<string>, truncated: boolean): void {
    this.#truncated = truncated;
    const missed = this.#queuedDuringClaim;
    if (!truncated)
      for (const id of this.#waiting)
        if (!exclude.has(id) && !leftBehind.has(id) && !missed.has(id)) this.#waiting.delete(id);
    for (const id of leftBehind) this.#waiting.add(id);
    // A claim that took all it could of its whole window may be followed at once; one that spent its
    // window on endpoints now full is not: deliveries of others beyond it (if any) wait for their next
    // publish, a replay, a retry or the poll, instead of every claim reading past the same backlog.
    this.#remainingFor =
      this.#announcedDuringClaim || (truncated && leftBehind.size === 0)
        ? null
        : new Set([...exclude, ...leftBehind, ...missed]);
    this.#claimRunning = false;
    this.#queuedDuringClaim.clear();
    this.#announcedDuringClaim = false;
  }
}
