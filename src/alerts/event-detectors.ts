import type { SecurityEventTable } from '../monitor/security-event-schema.ts';
import type { AlertInput, AlertRaiser, AlertRule } from './alert-types.ts';

export interface EventDetectorOptions {
  readonly raiser: AlertRaiser;
  /** Failures within `windowMs` that raise `auth_failures` / `admin_auth_failures`. */
  readonly threshold: number;
  readonly windowMs: number;
}

/** Bounds memory under a flood of distinct subjects (oldest window forgotten first). */
const MAX_COUNTERS = 20_000;

interface Counter {
  start: number;
  count: number;
}

/**
 * The event-based detectors: fed every stored security event (`SecurityEvents.observe`), each does
 * O(1) work (one fixed-window counter per subject) and raises at most one alert call per window
 * crossing; de-duplication and throttling happen in the alert service, off the request path.
 */
export class EventDetectors {
  readonly #options: EventDetectorOptions;
  readonly #counters = new Map<string, Counter>();

  constructor(options: EventDetectorOptions) {
    this.#options = options;
  }

  /** The `SecurityEventObserver`. */
  readonly observe = (event: SecurityEventTable): void => {
    const now = event.created_at;
    switch (event.event) {
      case 'authentication_failed':
        if (event.credential_id !== null)
          this.#count('auth_failures', `credential:${event.credential_id}`, event, now);
        if (event.ip !== null) this.#count('auth_failures', `ip:${event.ip}`, event, now);
        return;
      case 'oauth_client_authentication_failed':
        if (event.credential_id !== null)
          this.#count('auth_failures', `client:${event.credential_id}`, event, now);
        if (event.ip !== null) this.#count('auth_failures', `ip:${event.ip}`, event, now);
        return;
      case 'admin_authentication_failed':
        if (event.ip !== null) this.#count('admin_auth_failures', `ip:${event.ip}`, event, now);
        return;
      case 'credential_over_plain_http':
        this.#raise({
          rule: 'plain_http_credential',
          subject:
            event.credential_id !== null
              ? `credential:${event.credential_id}`
              : `ip:${event.ip ?? 'unknown'}`,
          eventIds: [event.id],
          details: { source: event.source, ip: event.ip },
        });
        return;
      case 'webhook_signature_failure':
        this.#count(
          'webhook_signature_failures',
          `integrator:${event.integrator_id ?? 'unknown'}/webhook:${detail(event, 'webhook_id')}`,
          event,
          now,
        );
        return;
      case 'credential_leaked':
        this.#raise({
          rule: 'credential_leaked',
          subject: `credential:${event.credential_id ?? 'unknown'}`,
          eventIds: [event.id],
          details: { source: event.source, ...detailsOf(event, ['kind', 'url', 'revoked']) },
        });
        return;
      case 'admin_permission_changed':
        this.#raise({
          rule: 'admin_permission_change',
          subject: `admin:${detail(event, 'admin_token_id')}`,
          eventIds: [event.id],
          details: { source: event.source },
        });
        return;
      default:
        return;
    }
  };

  #count(rule: AlertRule, subject: string, event: SecurityEventTable, now: number): void {
    const key = `${rule}|${subject}`;
    let counter = this.#counters.get(key);
    if (counter === undefined || now - counter.start > this.#options.windowMs) {
      if (counter !== undefined) this.#counters.delete(key);
      else if (this.#counters.size >= MAX_COUNTERS) {
        const oldest = this.#counters.keys().next();
        if (!oldest.done) this.#counters.delete(oldest.value);
      }
      counter = { start: now, count: 0 };
      this.#counters.set(key, counter);
    }
    counter.count++;
    const { threshold } = this.#options;
    // Raise when the threshold is crossed, then at 2×, 4×, 8×…: a flood costs a logarithmic number
    // of alert writes, and the alert's `count` still shows that it went on.
    const multiple = counter.count / threshold;
    if (Number.isInteger(multiple) && (multiple & (multiple - 1)) === 0) {
      this.#raise({
        rule,
        subject,
        eventIds: [event.id],
        details: {
          failures: counter.count,
          window_seconds: Math.round(this.#options.windowMs / 1000),
          source: event.source,
        },
      });
    }
  }

  #raise(input: AlertInput): void {
    void this.#options.raiser.raise(input);
  }
}

function detail(event: SecurityEventTable, name: string): string {
  try {
    const value = (JSON.parse(event.details_json) as Record<string, unknown>)[name];
    return typeof value === 'string' ? value.slice(0, 80) : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The named fields of an event's details, for an alert's own details (missing ones are left out). */
function detailsOf(event: SecurityEventTable, names: readonly string[]): Record<string, unknown> {
  try {
    const details = JSON.parse(event.details_json) as Record<string, unknown>;
    return Object.fromEntries(names.filter((name) => name in details).map((name) => [name, details[name]]));
  } catch {
    return {};
  }
}
