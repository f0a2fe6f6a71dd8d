import type { Dispatcher } from 'undici';
import type { Envelope } from '../crypto/envelope.ts';
import type { DialectName } from '../db/database.ts';
import { createLineWriter, type LineWriter } from '../log/line-writer.ts';
import type { Logger } from '../log/logger.ts';
import { attemptRecord } from './attempt-record.ts';
import { type AttemptResult, sendDelivery } from './delivery-attempt.ts';
import { type DeliveryOutcome, decideOutcome } from './delivery-outcome.ts';
import {
  DeliveryPreparer,
  type OpenMessage,
  type Preparation,
  type PreparedDelivery,
} from './delivery-preparer.ts';
import type { ClaimedDelivery, DeliveryQueue, DeliveryResult } from './delivery-queue.ts';
import { deliveryHeaders } from './delivery-signer.ts';
import { EndpointSlots } from './endpoint-slots.ts';
import { GroupCommit } from './group-commit.ts';
import { QueueBacklog } from './queue-backlog.ts';
import { RetryAlarm } from './retry-alarm.ts';
import { WakeSignal } from './wake-signal.ts';
import type { WebhookConfig } from './webhook-config.ts';

export interface DeliveryWorkerDeps {
  readonly queue: DeliveryQueue;
  readonly envelope: Envelope;
  readonly dispatcher: Dispatcher;
  readonly config: WebhookConfig;
  readonly dialect: DialectName;
  readonly logger: Logger;
  /** Disables an endpoint for the delivery engine (audited, with a security event). */
  readonly disableEndpoint: (
    id: string,
    reason: 'gone' | 'failing',
    details: Record<string, unknown>,
  ) => Promise<void>;
}

const CLAIM_BATCH = 500;
const STOP_GRACE_MS = 5000;

/**
 * The delivery engine (W2, W3, L1): claims due deliveries from the durable queue in batches, signs and
 * POSTs them with at most `endpointConcurrency` in flight per endpoint and `maxInFlight` in all,
 * records every attempt, and schedules retries. Results are committed in batches; a delivery stays
 * leased until its result is committed, so a crash at any point leaves it to be delivered again.
 *
 * What each endpoint may hold and when it is refilled is `EndpointSlots`' business. Deliveries whose
 * results are still being committed do not count against their endpoint (they are done with it),
 * only against the instance's `#maxHeld`.
 *
 * Deliveries published on this instance can skip the claim (`reserve`, `dispatch`): the publish
 * transaction stores them leased to this worker, and the worker takes them with the body it was
 * given, instead of reading back and decrypting what it just wrote. They are durable and leased
 * like claimed ones, so a crash leaves them to be delivered again.
 */
export class DeliveryWorker {
  readonly #deps: DeliveryWorkerDeps;
  readonly #log: Logger;
  readonly #attemptLog: LineWriter;
  readonly #leaseMs: number;
  readonly #maxHeld: number;
  readonly #signal = new WakeSignal();
  readonly #slots: EndpointSlots<PreparedDelivery>;
  readonly #preparer: DeliveryPreparer;
  readonly #attempts = new Set<Promise<void>>();
  readonly #preparing = new Set<Promise<void>>();
  readonly #results: GroupCommit<DeliveryResult, void>;
  #running = false;
  #loop: Promise<void> | null = null;
  readonly #controllers = new Set<AbortController>();
  readonly #attemptListeners: ((outcome: DeliveryOutcome['kind']) => void)[] = [];
  #held = 0;
  #inFlight = 0;
  readonly #retryAlarm = new RetryAlarm(() => this.wake());
  readonly #backlog = new QueueBacklog();
  /** Reserved deliveries whose publish is still committing (neither dispatched nor cancelled). */
  #reserved = 0;
  #reservationsSettled: (() => void) | null = null;

  constructor(deps: DeliveryWorkerDeps) {
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'webhooks' });
    this.#attemptLog = createLineWriter(deps.logger, { component: 'webhooks' }, 'webhook delivery attempt');
    // A lease must outlast waiting here behind one full round of attempts plus the attempt itself.
    this.#leaseMs = 2 * deps.config.timeoutMs + 30_000;
    this.#maxHeld = 2 * deps.config.maxInFlight;
    this.#slots = new EndpointSlots<PreparedDelivery>(deps.config.endpointConcurrency);
    this.#preparer = new DeliveryPreparer({ queue: deps.queue, envelope: deps.envelope, logger: this.#log });
    this.#results = new GroupCommit<DeliveryResult, void>(async (results) => {
      await deps.queue.complete(results);
      return results.map(() => undefined);
    });
  }

  /** Told the outcome of each attempt once it is decided (`gatehouse_webhook_attempts_total`). */
  onAttempt(listener: (outcome: DeliveryOutcome['kind']) => void): void {
    this.#attemptListeners.push(listener);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** There may be new due deliveries (a replay on this instance). */
  wake(): void {
    this.#backlog.announce();
    this.#signal.wake();
  }

  /**
   * Deliveries were queued for these endpoints (a publish on this instance). An endpoint still holding
   * more than a round is refilled when it is down to one, so waking for it alone would run a claim
   * that skips it.
   */
  wakeFor(endpointIds: ReadonlySet<string>): void {
    this.#backlog.queued(endpointIds);
    const full = this.#slots.full();
    for (const id of endpointIds) {
      if (!full.has(id)) {
        this.#signal.wake();
        return;
      }
    }
  }

  /**
   * Takes a delivery about to be published on this instance straight into this worker, or refuses
   * (null): while stopped, when this worker's or the endpoint's budget is full, or when deliveries
   * may be waiting in the queue ahead of it (`QueueBacklog`). Returns the lease to store with the
   * delivery; the publisher then calls `dispatch` once it is committed, or `cancel`.
   */
  reserve(endpointId: string, now: number): number | null {
    if (!this.#running || this.#held >= this.#maxHeld) return null;
    if (this.#slots.roomFor(endpointId) <= 0 || !this.#backlog.mayDispatch(endpointId)) return null;
    this.#held++;
    this.#reserved++;
    this.#slots.hold(endpointId);
    return now + this.#leaseMs;
  }

  /** Reserved deliveries, now committed: attempted with the bodies in `messages`. */
  dispatch(deliveries: readonly ClaimedDelivery[], messages: ReadonlyMap<string, OpenMessage>): void {
    if (deliveries.length === 0) return;
    this.#settleReservations(deliveries.length);
    if (!this.#running) {
      for (const delivery of deliveries) this.#giveBack(delivery, 'released');
      return;
    }
    const task = this.#prepare(deliveries, messages);
    this.#preparing.add(task);
    void task.finally(() => this.#preparing.delete(task));
  }

  /** Events just published here and queued (not dispatched): their claims will not read them back. */
  remember(messages: Iterable<OpenMessage>): void {
    this.#preparer.remember(messages);
  }

  /** Reservations whose publish was not committed. */
  cancel(endpointIds: readonly string[]): void {
    for (const endpointId of endpointIds) {
      if (this.#slots.release(endpointId)) this.#signal.wake();
      this.#released();
    }
    if (endpointIds.length > 0) this.#settleReservations(endpointIds.length);
  }

  #settleReservations(count: number): void {
    this.#reserved -= count;
    if (this.#reserved === 0) this.#reservationsSettled?.();
  }

  /**
   * Stops claiming, gives back what waits, lets attempts in flight finish for a few seconds (then
   * aborts them and gives them back too) and commits every result.
   */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#signal.wake();
    await this.#loop;
    // A publish that reserved deliveries before the stop hands them over (or cancels) once it ends.
    if (this.#reserved > 0)
      await new Promise<void>((resolve) => {
        this.#reservationsSettled = resolve;
      });
    this.#reservationsSettled = null;
    while (this.#preparing.size > 0) await Promise.all(this.#preparing);
    for (const prepared of this.#slots.takeAllWaiting()) this.#giveBack(prepared.claimed, 'released');
    const grace = setTimeout(() => {
      for (const controller of this.#controllers) controller.abort();
    }, STOP_GRACE_MS);
    while (this.#attempts.size > 0) await Promise.all(this.#attempts);
    clearTimeout(grace);
    await this.#results.flush();
    this.#retryAlarm.cancel();
  }

  async #run(): Promise<void> {
    if (this.#deps.dialect === 'sqlite') {
      try {
        const released = await this.#deps.queue.releaseAbandonedLeases(Date.now());
        if (released > 0)
          this.#log.info(
            { deliveries: released },
            'webhook deliveries left in flight by a previous run are due again',
          );
      } catch (error) {
        this.#log.error({ err: error }, 'could not release abandoned webhook deliveries');
      }
    }
    // Claims wait until half the budget is free, so each takes a batch. Once a poll interval has
    // passed since the last claim, one claims whatever room there is: slow endpoints holding half the
    // budget, or wakes that never let a poll time out, must not keep due deliveries waiting.
    let lastClaim = Number.NEGATIVE_INFINITY;
    while (this.#running) {
      const room = this.#maxHeld - this.#held;
      const exclude = this.#slots.full();
      const due = this.#held <= this.#maxHeld / 2 && this.#backlog.worthClaiming(exclude);
      const polled = performance.now() - lastClaim >= this.#deps.config.pollIntervalMs;
      if (room > 0 && (due || polled)) {
        lastClaim = performance.now();
        let claimed: ClaimedDelivery[];
        let seen = { leftBehind: new Set<string>() as ReadonlySet<string>, truncated: true };
        this.#backlog.claiming();
        try {
          claimed = await this.#deps.queue.claim({
            now: Date.now(),
            limit: Math.min(room, CLAIM_BATCH),
            leaseMs: this.#leaseMs,
            exclude,
            capacityOf: (id) => this.#slots.roomFor(id),
            onLeftBehind: (leftBehind, truncated) => {
              seen = { leftBehind, truncated };
            },
          });
        } catch (error) {
          this.#log.error({ err: error }, 'could not claim webhook deliveries');
          await this.#signal.wait(this.#deps.config.pollIntervalMs);
          continue;
        }
        this.#backlog.claimed(exclude, seen.leftBehind, seen.truncated);
        if (claimed.length > 0) {
          await this.#accept(claimed);
          continue;
        }
      }
      await this.#signal.wait(this.#deps.config.pollIntervalMs);
    }
  }

  async #accept(claimed: ClaimedDelivery[]): Promise<void> {
    for (const delivery of claimed) {
      this.#held++;
      this.#slots.hold(delivery.endpoint_id);
    }
    await this.#prepare(claimed);
  }

  /** Prepares held deliveries and queues them on their endpoints. */
  async #prepare(
    claimed: readonly ClaimedDelivery[],
    messages?: ReadonlyMap<string, OpenMessage>,
  ): Promise<void> {
    let preparation: Preparation;
    try {
      preparation = await this.#preparer.prepare(claimed, messages);
    } catch (error) {
      this.#log.error({ err: error }, 'could not load claimed webhook deliveries; giving them back');
      for (const delivery of claimed) this.#giveBack(delivery, 'released');
      return;
    }
    for (const { delivery, reason } of preparation.skipped) this.#giveBack(delivery, reason);
    const touched = new Set<string>();
    for (const prepared of preparation.ready) {
      this.#slots.wait(prepared.claimed.endpoint_id, prepared);
      touched.add(prepared.claimed.endpoint_id);
    }
    for (const endpointId of touched) this.#pump(endpointId);
  }

  #pump(endpointId: string): void {
    while (this.#running && this.#inFlight < this.#deps.config.maxInFlight) {
      const prepared = this.#slots.startNext(endpointId);
      if (prepared === undefined) return;
      this.#attempt(prepared);
    }
  }

  #attempt(prepared: PreparedDelivery): void {
    this.#inFlight++;
    const task = (async () => {
      let result: AttemptResult | undefined;
      try {
        const timestamp = Math.floor(Date.now() / 1000);
        result = await sendDelivery({
          dispatcher: this.#deps.dispatcher,
          url: prepared.url,
          headers: deliveryHeaders(prepared.signing, prepared.claimed.message_id, timestamp, prepared.body),
          body: prepared.body,
          timeoutMs: this.#deps.config.timeoutMs,
          inFlight: this.#controllers,
        });
      } catch (error) {
        this.#log.error({ err: error, delivery_id: prepared.claimed.id }, 'webhook delivery attempt crashed');
      } finally {
        this.#inFlight--;
        if (this.#slots.attemptEnded(prepared.claimed.endpoint_id)) this.#signal.wake();
      }
      if (result === undefined || result.aborted)
        this.#finish(prepared.claimed, { kind: 'released', delivery: prepared.claimed });
      else this.#record(prepared, result);
    })().catch((error: unknown) => {
      // The result was not committed: the lease runs out and the delivery is made again.
      this.#log.error(
        { err: error, delivery_id: prepared.claimed.id },
        'could not record a webhook delivery attempt',
      );
    });
    this.#attempts.add(task);
    void task.finally(() => {
      this.#attempts.delete(task);
      this.#pump(prepared.claimed.endpoint_id);
      if (this.#inFlight < this.#deps.config.maxInFlight)
        for (const id of this.#slots.endpoints()) this.#pump(id);
    });
  }

  #record(prepared: PreparedDelivery, result: AttemptResult): void {
    const { claimed } = prepared;
    const now = Date.now();
    const outcome = decideOutcome({
      statusCode: result.statusCode,
      retryAfter: result.retryAfter,
      retryStep: claimed.retry_step,
      failingSince: prepared.failingSince,
      now,
      schedule: this.#deps.config.retrySchedule,
      disableAfterMs: this.#deps.config.disableAfterMs,
    });
    const record = attemptRecord(prepared, result, outcome, this.#deps.envelope);
    if (this.#attemptLog.enabled()) this.#attemptLog.write(record.logLine);
    for (const listener of this.#attemptListeners) listener(outcome.kind);
    this.#finish(claimed, record.result, outcome.kind === 'retry' ? outcome.at : undefined);
    if (outcome.kind === 'failed' && outcome.disable !== null) {
      for (const waiting of this.#slots.takeWaiting(claimed.endpoint_id))
        this.#giveBack(waiting.claimed, 'endpoint_disabled');
      const details = {
        last_status_code: result.statusCode,
        last_error: result.error,
        failing_since: prepared.failingSince === null ? null : new Date(prepared.failingSince).toISOString(),
      };
      this.#deps.disableEndpoint(claimed.endpoint_id, outcome.disable, details).catch((error: unknown) => {
        this.#log.error(
          { err: error, endpoint_id: claimed.endpoint_id },
          'could not disable a failing webhook endpoint',
        );
      });
    }
  }

  /** Commits a result (batched); the delivery counts against `#maxHeld` until it is committed. */
  #finish(delivery: ClaimedDelivery, result: DeliveryResult, retryAt?: number): void {
    this.#results
      .submit(result)
      .then(
        () => {
          if (retryAt !== undefined && this.#running) this.#retryAlarm.setFor(retryAt);
        },
        (error: unknown) => {
          this.#log.error(
            { err: error, delivery_id: delivery.id },
            'could not record a webhook delivery result; it is delivered again when its lease ends',
          );
        },
      )
      .finally(() => this.#released());
  }

  /** A held delivery is done with. Wakes the loop only when a claim could now take a batch. */
  #released(): void {
    if (--this.#held === Math.floor(this.#maxHeld / 2)) this.#signal.wake();
  }

  /** A claimed delivery that will not be attempted here: skipped (failed for good) or released. */
  #giveBack(delivery: ClaimedDelivery, reason: 'released' | string): void {
    if (this.#slots.release(delivery.endpoint_id)) this.#signal.wake();
    this.#finish(
      delivery,
      reason === 'released' ? { kind: 'released', delivery } : { kind: 'skipped', delivery, reason },
    );
  }
}
