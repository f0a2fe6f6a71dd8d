import type { Envelope } from '../crypto/envelope.ts';
import { uuid7 } from '../db/uuid7.ts';
import { jsonString } from '../log/line-writer.ts';
import { redactSecrets } from '../log/redact-secrets.ts';
import type { AttemptResult } from './delivery-attempt.ts';
import type { DeliveryOutcome } from './delivery-outcome.ts';
import type { PreparedDelivery } from './delivery-preparer.ts';
import type { DeliveryResult } from './delivery-queue.ts';
import { attemptContext } from './webhook-message.ts';

/** What one attempt leaves behind: the result to commit and the fields of its log line (L1). */
export interface AttemptRecord {
  readonly result: Extract<DeliveryResult, { kind: 'attempted' }>;
  /** The line's fields as JSON, each preceded by a comma, for `createLineWriter`. */
  readonly logLine: string;
}

/**
 * The attempt row (numbered after the delivery's earlier attempts, its kept response sealed to the
 * row) and the log line of one attempt. The log line names the receiver's origin, never its full URL.
 * Ids and the outcome are Gatehouse's own; the event type, origin and error go through
 * `redactSecrets` and `jsonString`, as the line bypasses the logger's own redaction.
 */
export function attemptRecord(
  prepared: PreparedDelivery,
  attempt: AttemptResult,
  outcome: DeliveryOutcome,
  envelope: Envelope,
): AttemptRecord {
  const { claimed } = prepared;
  const attemptId = uuid7(attempt.startedAt);
  const number = claimed.attempts + 1;
  return {
    result: {
      kind: 'attempted',
      delivery: claimed,
      attempt: {
        id: attemptId,
        delivery_id: claimed.id,
        message_id: claimed.message_id,
        endpoint_id: claimed.endpoint_id,
        attempt: number,
        started_at: attempt.startedAt,
        duration_ms: attempt.durationMs,
        status_code: attempt.statusCode,
        error: attempt.error,
        response_sealed:
          attempt.responseBody === null
            ? null
            : envelope.seal(attempt.responseBody, attemptContext(attemptId)),
      },
      outcome: outcome.kind === 'retry' ? { retryAt: outcome.at } : outcome.kind,
    },
    logLine:
      `,"webhook_id":"${claimed.message_id}","delivery_id":"${claimed.id}"` +
      `,"endpoint_id":"${claimed.endpoint_id}","integrator_id":"${claimed.integrator_id}"` +
      `,"event_type":${jsonString(redactSecrets(prepared.eventType))},"attempt":${number},"method":"POST"` +
      `,"origin":${jsonString(redactSecrets(prepared.origin))},"status_code":${attempt.statusCode}` +
      `,"latency_ms":${attempt.durationMs},"outcome":"${outcome.kind}"` +
      `,"error":${attempt.error === null ? 'null' : jsonString(redactSecrets(attempt.error))}`,
  };
}
