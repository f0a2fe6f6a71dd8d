import type { KeyObject } from 'node:crypto';
import { BoundedCache } from '../cache/bounded-cache.ts';
import type { Envelope } from '../crypto/envelope.ts';
import type { Logger } from '../log/logger.ts';
import type {
  ClaimedDelivery,
  DeliveryQueue,
  EndpointForDelivery,
  SecretForDelivery,
} from './delivery-queue.ts';
import type { EndpointSigning } from './delivery-signer.ts';
import { importSigningKey, type SecretKind, type SigningScheme } from './signing-secret.ts';
import { secretContext } from './webhook-endpoint.ts';
import { payloadContext } from './webhook-message.ts';
import type { WebhookMessageTable } from './webhook-schema.ts';

/** A claimed delivery with everything its attempt needs: the opened body and the endpoint's keys. */
export interface PreparedDelivery {
  readonly claimed: ClaimedDelivery;
  readonly url: string;
  readonly origin: string;
  readonly eventType: string;
  readonly body: Buffer;
  readonly signing: EndpointSigning;
  readonly failingSince: number | null;
}

/** A message whose body is already in memory: one this instance just published. */
export interface OpenMessage extends Omit<WebhookMessageTable, 'payload_sealed'> {
  readonly body: Buffer;
}

export interface Preparation {
  readonly ready: PreparedDelivery[];
  /** Deliveries that must not be attempted, failed for good with the reason. */
  readonly skipped: { readonly delivery: ClaimedDelivery; readonly reason: string }[];
}

export interface DeliveryPreparerDeps {
  readonly queue: DeliveryQueue;
  readonly envelope: Envelope;
  readonly logger: Logger;
}

const KEY_CACHE_SIZE = 10_000;
/**
 * Bodies of events this instance published and queued, kept for their claims (at most 32 MiB): enough
 * for a backlog of thousands of usual-sized events, which are claimed oldest first.
 */
const RECENT_BODIES = 16_384;
const RECENT_BODY_MAX_BYTES = 2048;

/**
 * Turns a batch of claimed deliveries into attempts: loads their messages and endpoints in two
 * queries, refuses what must not be sent (K0 mismatches, disabled endpoint or integrator, no secret,
 * unreadable body) and opens the body and signing keys. Keys are imported once per process and cached
 * by secret id.
 */
export class DeliveryPreparer {
  readonly #deps: DeliveryPreparerDeps;
  readonly #keys = new BoundedCache<string, KeyObject>(KEY_CACHE_SIZE);
  readonly #recent = new BoundedCache<string, OpenMessage>(RECENT_BODIES);

  constructor(deps: DeliveryPreparerDeps) {
    this.#deps = deps;
  }

  /** Events just published and queued here: their claims need not read them back and decrypt them. */
  remember(messages: Iterable<OpenMessage>): void {
    for (const message of messages)
      if (message.body.length <= RECENT_BODY_MAX_BYTES) this.#recent.set(message.id, message);
  }

  /**
   * Rejects when the batch cannot be loaded (the caller gives it back). Messages in `open` (just
   * published here) or remembered are neither read back nor decrypted again.
   */
  async prepare(
    claimed: readonly ClaimedDelivery[],
    open?: ReadonlyMap<string, OpenMessage>,
  ): Promise<Preparation> {
    const [messages, { endpoints, secrets }] = await Promise.all([
      open ?? this.#messagesOf(claimed),
      this.#deps.queue.loadEndpoints(
        claimed.map((delivery) => delivery.endpoint_id),
        Date.now(),
      ),
    ]);
    const keys = this.#signingKeys(secrets);
    const preparation: Preparation = { ready: [], skipped: [] };
    for (const delivery of claimed) {
      const message = messages.get(delivery.message_id);
      const endpoint = endpoints.get(delivery.endpoint_id);
      const endpointKeys = keys.get(delivery.endpoint_id) ?? [];
      const skip = reasonToSkip(delivery, message, endpoint, endpointKeys.length);
      if (skip !== null || !message || !endpoint) {
        preparation.skipped.push({ delivery, reason: skip ?? 'missing' });
        continue;
      }
      let body: Buffer;
      try {
        body =
          'body' in message
            ? message.body
            : this.#deps.envelope.open(message.payload_sealed, payloadContext(message.id));
      } catch {
        this.#deps.logger.error(
          { webhook_id: message.id, delivery_id: delivery.id },
          'a webhook message body cannot be opened with the configured encryption keys',
        );
        preparation.skipped.push({ delivery, reason: 'payload_unreadable' });
        continue;
      }
      preparation.ready.push({
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
    }
    return preparation;
  }

  async #messagesOf(
    claimed: readonly ClaimedDelivery[],
  ): Promise<Map<string, OpenMessage | WebhookMessageTable>> {
    const messages = new Map<string, OpenMessage | WebhookMessageTable>();
    const missing: string[] = [];
    for (const { message_id: id } of claimed) {
      const remembered = this.#recent.get(id);
      if (remembered) messages.set(id, remembered);
      else missing.push(id);
    }
    if (missing.length > 0)
      for (const [id, row] of await this.#deps.queue.loadMessages(missing)) messages.set(id, row);
    return messages;
  }

  /** Each endpoint's signing keys, newest first. */
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
          key = this.#keys.set(secret.id, importSigningKey(secret.kind as SecretKind, material));
        } catch {
          this.#deps.logger.error(
            { endpoint_id: secret.endpoint_id, secret_id: secret.id },
            'a webhook signing secret cannot be opened',
          );
          continue;
        }
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
}

function reasonToSkip(
  delivery: ClaimedDelivery,
  message: Pick<WebhookMessageTable, 'integrator_id' | 'environment'> | undefined,
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
