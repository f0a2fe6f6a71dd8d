import type { RequestRecord } from '../gateway/request-log.ts';

/** Upper bounds (seconds) of the request-duration histogram's buckets. */
export const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
const ENVIRONMENTS = ['none', 'production', 'sandbox'] as const;

interface RouteStats {
  /** Request count by `status * 4 + environment index`. */
  readonly counts: Map<number, number>;
  /** Non-cumulative bucket counts; the last slot is +Inf. */
  readonly buckets: number[];
  sum: number;
  count: number;
}

/** The data thread's counters as plain data, posted to the main thread on a scrape. */
export interface GatewayMetricsSnapshot {
  readonly requests: readonly { route: string; status: string; environment: string; value: number }[];
  readonly durations: readonly { route: string; buckets: readonly number[]; sum: number; count: number }[];
  readonly authFailures: readonly { reason: string; value: number }[];
  readonly rateLimited: readonly { limit: string; value: number }[];
}

/** The label of requests that matched no declared route (refused before or at the route table). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The gateway's Prometheus counters kept as plain numbers in the thread that serves requests:
 * `observe` is Map lookups and increments keyed by the route's declared pattern (never the raw
 * path), the status code and the environment, with no label object per request. The main thread
 * asks for a `snapshot` only when `/metrics` is scraped (`metrics-registry.ts`).
 */
export class GatewayMetrics {
  readonly #routes = new Map<string, RouteStats>();
  readonly #authFailures = new Map<string, number>();
  #ipLimited = 0;
  #credentialLimited = 0;

  /** Counts one ended request; `status` as logged (499 for a client gone away). */
  observe(record: RequestRecord, status: number): void {
    const route = record.route ?? UNMATCHED_ROUTE;
    let stats = this.#routes.get(route);
    if (stats === undefined) {
      stats = {
        counts: new Map(),
        buckets: new Array(DURATION_BUCKETS.length + 1).fill(0),
        sum: 0,
        count: 0,
      };
      this.#routes.set(route, stats);
    }
    const environment = record.caller?.environment;
    const key = status * 4 + (environment === 'production' ? 1 : environment === 'sandbox' ? 2 : 0);
    stats.counts.set(key, (stats.counts.get(key) ?? 0) + 1);
    const seconds = (performance.now() - record.started) / 1000;
    let bucket = 0;
    while (bucket < DURATION_BUCKETS.length && seconds > (DURATION_BUCKETS[bucket] as number)) bucket++;
    stats.buckets[bucket] = (stats.buckets[bucket] as number) + 1;
    stats.sum += seconds;
    stats.count++;
    const code = record.code;
    if (code === null) return;
    if (status === 401) this.#authFailures.set(code, (this.#authFailures.get(code) ?? 0) + 1);
    else if (code === 'rate_limited') {
      // The per-address bucket is taken before authentication, the per-credential one after it.
      if (record.caller === null) this.#ipLimited++;
      else this.#credentialLimited++;
    }
  }

  /** Every counter so far (they only grow), as plain data. */
  snapshot(): GatewayMetricsSnapshot {
    const requests: { route: string; status: string; environment: string; value: number }[] = [];
    const durations: { route: string; buckets: number[]; sum: number; count: number }[] = [];
    for (const [route, stats] of this.#routes) {
      for (const [key, value] of stats.counts)
        requests.push({
          route,
          status: String(key >> 2),
          environment: ENVIRONMENTS[key & 3] as string,
          value,
        });
      durations.push({ route, buckets: [...stats.buckets], sum: stats.sum, count: stats.count });
    }
    return {
      requests,
      durations,
      authFailures: [...this.#authFailures].map(([reason, value]) => ({ reason, value })),
      rateLimited: [
        { limit: 'ip', value: this.#ipLimited },
        { limit: 'credential', value: this.#credentialLimited },
      ],
    };
  }
}
