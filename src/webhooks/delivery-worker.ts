import type { KeyObject } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { Envelope } from '../crypto/envelope.ts';
import type { DialectName } from '../db/database.ts';
import { uuid7 } from '../db/uuid7.ts';
import type { Logger } from '../log/logger.ts';
import { type AttemptResult, sendDelivery } from './delivery-attempt.ts';
import { decideOutcome } from './delivery-outcome.ts';
import type {
  ClaimedDelivery,
  DeliveryQueue,
  DeliveryResult,
  EndpointForDelivery,
  SecretForDelivery,
} from './delivery-queue.ts';
import { deliveryHeaders, type EndpointSigning } from './delivery-signer.ts';
import { GroupCommit } from './group-commit.ts';
import { importSigningKey, type SecretKind, type SigningScheme } from './signing-secret.ts';
import { WakeSignal } from './wake-signal.ts';
import type { WebhookConfig } from './webhook-config.ts';
import { secretContext } from './webhook-endpoint.ts';
import { attemptContext, payloadContext } from './webhook-message.ts';
import type { WebhookMessageTable } from './webhook-schema.ts';

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

interface PreparedDelivery {
  readonly claimed: ClaimedDelivery;
  readonly url: string;
  readonly origin: string;
  readonly eventType: string;
  readonly body: Buffer;
  readonly signing: EndpointSigning;
  readonly failingSince: number | null;
}

/** One endpoint's claimed deliveries on this instance: `queued` counts those waiting or in flight. */
interface EndpointSlot {
  readonly waiting: PreparedDelivery[];
  inFlight: number;
  queued: number;
}

const CLAIM_BATCH = 500;
const STOP_GRACE_MS = 5000;
const KEY_CACHE_SIZE = 10_000;

/**
 * The delivery engine (W2, W3, L1): claims due deliveries from the durable queue in batches, signs and
 * POSTs them with at most `endpointConcurrency` in flight per endpoint and `maxInFlight` in all,
 * records every attempt, and schedules retries. Results are committed in batches; a delivery stays
 * leased until its result is committed, so a crash at any point leaves it to be delivered again.
 *
 * Each endpoint may queue up to twice its concurrency here (one round in flight, one waiting, already
 * claimed) and is refilled only once it is down to one round, so a busy endpoint costs one claim per
 * round rather than one per completion. Deliveries whose results are still being committed do not
 * count against their endpoint (they are done with it), only against the instance's `#maxHeld`.
 */
export class DeliveryWorker {
  readonly #deps: DeliveryWorkerDeps;
  readonly #log: Logger;
  readonly #leaseMs: number;
  readonly #maxHeld: number;
  readonly #perEndpoint: number;
  readonly #signal = new WakeSignal();
  readonly #slots = new Map<string, EndpointSlot>();
  readonly #attempts = new Set<Promise<void>>();
  readonly #keys = new Map<string, KeyObject>();
  readonly #results: GroupCommit<DeliveryResult, void>;
  #running = false;
  #loop: Promise<void> | null = null;
  readonly #controllers = new Set<AbortController>();
  #held = 0;
  #inFlight = 0;
  #retryTimer: NodeJS.Timeout | null = null;
  #retryAt = Number.POSITIVE_INFINITY;

  constructor(deps: DeliveryWorkerDeps) {
    this.#deps = deps;
    this.#log = deps.logger.child({ component: 'webhooks' });
    // A lease must outlast waiting here behind one full round of attempts plus the attempt itself.
    this.#leaseMs = 2 * deps.config.timeoutMs + 30_000;
    this.#perEndpoint = 2 * deps.config.endpointConcurrency;
    this.#maxHeld = 2 * deps.config.maxInFlight;
    this.#results = new GroupCommit<DeliveryResult, void>(async (results) => {
      await deps.queue.complete(results);
      return results.map(() => undefined);
    });
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** There may be new due deliveries (a publish on this instance). */
  wake(): void {
    this.#signal.wake();
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
    for (const slot of this.#slots.values()) {
      for (const prepared of slot.waiting.splice(0)) this.#giveBack(prepared.claimed, 'released');
    }
    const grace = setTimeout(() => {
      for (const controller of this.#controllers) controller.abort();
    }, STOP_GRACE_MS);
    while (this.#attempts.size > 0) await Promise.all(this.#attempts);
    clearTimeout(grace);
    await this.#results.flush();
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#retryAt = Number.POSITIVE_INFINITY;
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
    while (this.#running) {
      const room = this.#maxHeld - this.#held;
      if (room > 0) {
        let claimed: ClaimedDelivery[];
        try {
          claimed = await this.#deps.queue.claim({
            now: Date.now(),
            limit: Math.min(room, CLAIM_BATCH),
            leaseMs: this.#leaseMs,
            exclude: this.#fullEndpoints(),
            capacityOf: (id) => this.#perEndpoint - (this.#slots.get(id)?.queued ?? 0),
          });
        } catch (error) {
          this.#log.error({ err: error }, 'could not claim webhook deliveries');
          await this.#signal.wait(this.#deps.config.pollIntervalMs);
          continue;
        }
        if (claimed.length > 0) {
          await this.#accept(claimed);
          continue;
        }
      }
      await this.#signal.wait(this.#deps.config.pollIntervalMs);
    }
  }

  /**
   * Endpoints not to claim for: those still holding more than one round of attempts. Refilling only
   * once an endpoint is down to one round makes each claim take a round's worth, not one row.
   */
  #fullEndpoints(): Set<string> {
    const full = new Set<string>();
    const threshold = this.#deps.config.endpointConcurrency;
    for (const [id, slot] of this.#slots) if (slot.queued > threshold) full.add(id);
    return full;
  }

  #slot(endpointId: string): EndpointSlot {
    const slot = this.#slots.get(endpointId) ?? { waiting: [], inFlight: 0, queued: 0 };
    this.#slots.set(endpointId, slot);
    return slot;
  }

  async #accept(claimed: ClaimedDelivery[]): Promise<void> {
    for (const delivery of claimed) {
      this.#held++;
      this.#slot(delivery.endpoint_id).queued++;
    }
    let messages: Map<string, WebhookMessageTable>;
    let endpoints: Map<string, EndpointForDelivery>;
    let secrets: SecretForDelivery[];
    try {
      [messages, { endpoints, secrets }] = await Promise.all([
        this.#deps.queue.loadMessages(claimed.map((delivery) => delivery.message_id)),
        this.#deps.queue.loadEndpoints(
          claimed.map((delivery) => delivery.endpoint_id),
          Date.now(),
        ),
      ]);
    } catch (error) {
      this.#log.error({ err: error }, 'could not load claimed webhook deliveries; giving them back');
      for (const delivery of claimed) this.#giveBack(delivery, 'released');
      return;
    }
    const keys = this.#signingKeys(secrets);
    const touched = new Set<string>();
    for (const delivery of claimed) {
      const message = messages.get(delivery.message_id);
      const endpoint = endpoints.get(delivery.endpoint_id);
      const endpointKeys = keys.get(delivery.endpoint_id) ?? [];
      const skip = reasonToSkip(delivery, message, endpoint, endpointKeys.length);
      if (skip !== null || !message || !endpoint) {
        this.#giveBack(delivery, skip ?? 'missing');
        continue;
      }
      let body: Buffer;
      try {
        body = this.#deps.envelope.open(message.payload_sealed, payloadContext(message.id));
      } catch {
        this.#log.error(
          { webhook_id: message.id, delivery_id: delivery.id },
          'a webhook message body cannot be opened with the configured encryption keys',
        );
        this.#giveBack(delivery, 'payload_unreadable');
        continue;
      }
      this.#slot(delivery.endpoint_id).waiting.push({
        claimed: delivery,
        url: endpoint.url,
        origin: originOf(endpoint.url),
        eventType: message.event_type,
        body,
        signing: {
          scheme: endpoint.signing_scheme as SigningScheme,
          signatureHeader: endpoint.signature_header,
          keys: endpointKeys,
        },
        failingSince: endpoint.failing_since,
      });
      touched.add(delivery.endpoint_id);
    }
    for (const endpointId of touched) this.#pump(endpointId);
  }

  /** Each endpoint's signing keys, newest first, imported once and cached by secret id. */
  #signingKeys(secrets: SecretForDelivery[]): Map<string, KeyObject[]> {
    const byEndpoint = new Map<string, { key: KeyObject; createdAt: number }[]>();
    for (const secret of secrets) {
      let key = this.#keys.get(secret.id);
      if (!key) {
        try {
          const material = this.#deps.envelope.open(
            secret.secret_sealed,
            secretContext(secret.id, secret.endpoint_id),
          );
          key = importSigningKey(secret.kind as SecretKind, material);
        } catch {
          this.#log.error(
            { endpoint_id: secret.endpoint_id, secret_id: secret.id },
            'a webhook signing secret cannot be opened',
          );
          continue;
        }
        if (this.#keys.size >= KEY_CACHE_SIZE) this.#keys.clear();
        this.#keys.set(secret.id, key);
      }
      const list = byEndpoint.get(secret.endpoint_id) ?? [];
      list.push({ key, createdAt: secret.created_at });
      byEndpoint.set(secret.endpoint_id, list);
    }
    return new Map(
      [...byEndpoint].map(([id, list]) => [
        id,
        list.sort((a, b) => b.createdAt - a.createdAt).map((entry) => entry.key),
      ]),
    );
  }

  #pump(endpointId: string): void {
    const slot = this.#slots.get(endpointId);
    if (!slot) return;
    const { endpointConcurrency, maxInFlight } = this.#deps.config;
    while (
      this.#running &&
      slot.waiting.length > 0 &&
      slot.inFlight < endpointConcurrency &&
      this.#inFlight < maxInFlight
    ) {
      this.#attempt(slot.waiting.shift() as PreparedDelivery, slot);
    }
  }

  #attempt(prepared: PreparedDelivery, slot: EndpointSlot): void {
    slot.inFlight++;
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
        slot.inFlight--;
        this.#inFlight--;
        this.#leaveSlot(prepared.claimed.endpoint_id);
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
      if (this.#inFlight < this.#deps.config.maxInFlight) for (const id of this.#slots.keys()) this.#pump(id);
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
    const attemptId = uuid7(result.startedAt);
    const number = claimed.attempts + 1;
    this.#log.info(
      {
        webhook_id: claimed.message_id,
        delivery_id: claimed.id,
        endpoint_id: claimed.endpoint_id,
        integrator_id: claimed.integrator_id,
        event_type: prepared.eventType,
        attempt: number,
        method: 'POST',
        origin: prepared.origin,
        status_code: result.statusCode,
        latency_ms: result.durationMs,
        outcome: outcome.kind,
        error: result.error,
      },
      'webhook delivery attempt',
    );
    this.#finish(
      claimed,
      {
        kind: 'attempted',
        delivery: claimed,
        attempt: {
          id: attemptId,
          delivery_id: claimed.id,
          message_id: claimed.message_id,
          endpoint_id: claimed.endpoint_id,
          attempt: number,
          started_at: result.startedAt,
          duration_ms: result.durationMs,
          status_code: result.statusCode,
          error: result.error,
          response_sealed:
            result.responseBody === null
              ? null
              : this.#deps.envelope.seal(result.responseBody, attemptContext(attemptId)),
        },
        outcome: outcome.kind === 'retry' ? { retryAt: outcome.at } : outcome.kind,
      },
      outcome.kind === 'retry' ? outcome.at : undefined,
    );
    if (outcome.kind === 'failed' && outcome.disable !== null) {
      const slot = this.#slots.get(claimed.endpoint_id);
      for (const waiting of slot?.waiting.splice(0) ?? [])
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
          if (retryAt !== undefined) this.#wakeAt(retryAt);
        },
        (error: unknown) => {
          this.#log.error(
            { err: error, delivery_id: delivery.id },
            'could not record a webhook delivery result; it is delivered again when its lease ends',
          );
        },
      )
      .finally(() => {
        // Wake the loop only when a claim could now take more; waking on every result would mostly
        // claim nothing.
        if (this.#held-- === this.#maxHeld) this.#signal.wake();
      });
  }

  /** A claimed delivery that will not be attempted here: skipped (failed for good) or released. */
  #giveBack(delivery: ClaimedDelivery, reason: 'released' | string): void {
    this.#leaveSlot(delivery.endpoint_id);
    this.#finish(
      delivery,
      reason === 'released' ? { kind: 'released', delivery } : { kind: 'skipped', delivery, reason },
    );
  }

  /** A delivery stops waiting or being in flight for its endpoint. */
  #leaveSlot(endpointId: string): void {
    const slot = this.#slots.get(endpointId);
    if (!slot) return;
    // Down to one round: a claim would now take a round's worth for this endpoint.
    if (slot.queued-- === this.#deps.config.endpointConcurrency + 1) this.#signal.wake();
    if (slot.queued <= 0 && slot.inFlight === 0 && slot.waiting.length === 0) this.#slots.delete(endpointId);
  }

  /** Wakes the loop when a retry this instance scheduled comes due (sooner than the next poll). */
  #wakeAt(at: number): void {
    if (at >= this.#retryAt || !this.#running) return;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryAt = at;
    this.#retryTimer = setTimeout(
      () => {
        this.#retryTimer = null;
        this.#retryAt = Number.POSITIVE_INFINITY;
        this.#signal.wake();
      },
      Math.max(0, at - Date.now()),
    );
    this.#retryTimer.unref();
  }
}

function reasonToSkip(
  delivery: ClaimedDelivery,
  message: WebhookMessageTable | undefined,
  endpoint: EndpointForDelivery | undefined,
  keyCount: number,
): string | null {
  if (!message) return 'message_missing';
  if (!endpoint) return 'endpoint_missing';
  // Defence in depth for K0: fan-out only ever pairs a message with its own integrator's endpoints.
  if (endpoint.integrator_id !== message.integrator_id || delivery.integrator_id !== message.integrator_id)
    return 'integrator_mismatch';
  if (endpoint.environment !== message.environment) return 'environment_mismatch';
  if (endpoint.enabled !== 1) return 'endpoint_disabled';
  if (endpoint.integrator_status !== 'active') return 'integrator_disabled';
  if (keyCount === 0) return 'no_signing_secret';
  if (!endpoint.url.startsWith('https://')) return 'url_not_allowed';
  return null;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'invalid';
  }
}
