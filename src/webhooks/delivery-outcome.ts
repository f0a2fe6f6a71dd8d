import { delayBeforeAttempt, retryAfterMs } from './retry-schedule.ts';

/** What becomes of a delivery after an attempt. `disable` also disables its endpoint. */
export type DeliveryOutcome =
  | { readonly kind: 'succeeded' }
  | { readonly kind: 'retry'; readonly at: number }
  | { readonly kind: 'failed'; readonly disable: 'gone' | 'failing' | null };

export interface OutcomeInput {
  /** The response status, or null when no response came (network error, timeout, refused address). */
  readonly statusCode: number | null;
  readonly retryAfter: string | undefined;
  /** The schedule position of the attempt just made. */
  readonly retryStep: number;
  /** When the endpoint's current run of failures began, or null if its last attempt succeeded. */
  readonly failingSince: number | null;
  readonly now: number;
  readonly schedule: readonly number[];
  readonly disableAfterMs: number;
  readonly random?: () => number;
}

/**
 * The delivery rules (W3, Standard Webhooks): 2xx succeeds; 410 Gone means the receiver wants no
 * more, so the endpoint is disabled; anything else is retried on the schedule (later if the receiver
 * sent Retry-After) until it runs out, and an endpoint that has been failing without a single
 * success for `disableAfterMs` is disabled. Redirects are failures: a receiver should update its URL.
 */
export function decideOutcome(input: OutcomeInput): DeliveryOutcome {
  const { statusCode, now } = input;
  if (statusCode !== null && statusCode >= 200 && statusCode < 300) return { kind: 'succeeded' };
  if (statusCode === 410) return { kind: 'failed', disable: 'gone' };
  if (input.failingSince !== null && now - input.failingSince >= input.disableAfterMs) {
    return { kind: 'failed', disable: 'failing' };
  }
  const delay = delayBeforeAttempt(input.schedule, input.retryStep + 1, input.random);
  if (delay === undefined) return { kind: 'failed', disable: null };
  const asked = statusCode === 429 || statusCode === 503 ? retryAfterMs(input.retryAfter, now) : undefined;
  return { kind: 'retry', at: now + Math.max(delay, asked ?? 0) };
}
