import type { Environment } from '../environments/environment.ts';
import type { WebhookAttemptTable, WebhookDeliveryTable, WebhookMessageTable } from './webhook-schema.ts';

/** A published event as the admin API lists it; its body only on request (it is sealed at rest). */
export interface WebhookMessage {
  id: string;
  type: string;
  integrator_id: string;
  environment: Environment;
  created_at: string;
}

export type DeliveryStatus = 'pending' | 'delivering' | 'succeeded' | 'failed';

export interface WebhookDelivery {
  id: string;
  message_id: string;
  endpoint_id: string;
  integrator_id: string;
  /** `delivering` while a worker holds it; `pending` while it waits for its next attempt. */
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: string | null;
  last_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export interface WebhookAttempt {
  id: string;
  delivery_id: string;
  message_id: string;
  endpoint_id: string;
  attempt: number;
  started_at: string;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  /** The start of the receiver's response body (at most 1 KiB), or null. */
  response_body: string | null;
}

/** The sealing context of a message body: binds the ciphertext to its row. */
export function payloadContext(messageId: string): string {
  return `webhook_message:${messageId}`;
}

export function attemptContext(attemptId: string): string {
  return `webhook_attempt:${attemptId}`;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function toWebhookMessage(row: Omit<WebhookMessageTable, 'payload_sealed'>): WebhookMessage {
  return {
    id: row.id,
    type: row.event_type,
    integrator_id: row.integrator_id,
    environment: row.environment as Environment,
    created_at: new Date(row.created_at).toISOString(),
  };
}

export function toWebhookDelivery(row: WebhookDeliveryTable, now = Date.now()): WebhookDelivery {
  const held = row.status === 'pending' && row.locked_until !== null && row.locked_until > now;
  return {
    id: row.id,
    message_id: row.message_id,
    endpoint_id: row.endpoint_id,
    integrator_id: row.integrator_id,
    status: held ? 'delivering' : (row.status as DeliveryStatus),
    attempts: row.attempts,
    next_attempt_at: row.status === 'pending' && !held ? iso(row.next_attempt_at) : null,
    last_attempt_at: iso(row.last_attempt_at),
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

export function toWebhookAttempt(row: WebhookAttemptTable, responseBody: string | null): WebhookAttempt {
  return {
    id: row.id,
    delivery_id: row.delivery_id,
    message_id: row.message_id,
    endpoint_id: row.endpoint_id,
    attempt: row.attempt,
    started_at: new Date(row.started_at).toISOString(),
    duration_ms: row.duration_ms,
    status_code: row.status_code,
    error: row.error,
    response_body: responseBody,
  };
}
