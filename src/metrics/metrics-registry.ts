import { Counter, collectDefaultMetrics, Registry } from 'prom-client';
import { DURATION_BUCKETS, type GatewayMetricsSnapshot } from './gateway-metrics.ts';

type Value = { labels?: Record<string, string | number>; value: number; metricName?: string };

/** A metric the registry renders from values computed at scrape time. */
function scraped(name: string, help: string, type: 'counter' | 'gauge' | 'histogram', values: () => Value[]) {
  return {
    name,
    help,
    type,
    aggregator: 'sum',
    get: async () => ({ name, help, type, values: values(), aggregator: 'sum' }),
  };
}

/**
 * The Prometheus registry of the main thread (`GET /metrics`, `metrics-route.ts`): process
 * metrics, the alert and webhook counters of this thread, and the gateway's counters, which the
 * data path's thread hands over as one snapshot per scrape (`gateway-metrics.ts`) — no message
 * per request. `status` is the HTTP status code as a string; `route` the declared route pattern
 * (`unmatched` for requests refused before a route matched).
 */
export class MetricsRegistry {
  readonly registry = new Registry();
  #gateway: GatewayMetricsSnapshot = { requests: [], durations: [], authFailures: [], rateLimited: [] };
  readonly #alerts: Counter<'rule'>;
  readonly #webhookAttempts: Counter<'outcome'>;
  #queueDepth: () => Promise<number> = async () => 0;
  #depth = 0;
  #fetchGateway: () => Promise<GatewayMetricsSnapshot | null> = async () => null;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // Gauges prom-client names `_total`, which promtool's lint refuses; their per-type twins without the suffix stay.
    for (const name of [
      'nodejs_active_handles_total',
      'nodejs_active_requests_total',
      'nodejs_active_resources_total',
    ])
      this.registry.removeSingleMetric(name);
    const gw = () => this.#gateway;
    this.registry.registerMetric(
      scraped(
        'gatehouse_http_requests_total',
        'Data-path requests by route, status and environment',
        'counter',
        () => gw().requests.map(({ value, ...labels }) => ({ labels, value })),
      ) as never,
    );
    this.registry.registerMetric(
      scraped('gatehouse_http_request_duration_seconds', 'Data-path request duration', 'histogram', () =>
        gw().durations.flatMap(({ route, buckets, sum, count }) => {
          let cumulative = 0;
          const values: Value[] = DURATION_BUCKETS.map((le, i) => {
            cumulative += buckets[i] as number;
            return {
              labels: { le, route },
              value: cumulative,
              metricName: 'gatehouse_http_request_duration_seconds_bucket',
            };
          });
          values.push({
            labels: { le: '+Inf', route },
            value: count,
            metricName: 'gatehouse_http_request_duration_seconds_bucket',
          });
          values.push({
            labels: { route },
            value: sum,
            metricName: 'gatehouse_http_request_duration_seconds_sum',
          });
          values.push({
            labels: { route },
            value: count,
            metricName: 'gatehouse_http_request_duration_seconds_count',
          });
          return values;
        }),
      ) as never,
    );
    this.registry.registerMetric(
      scraped(
        'gatehouse_auth_failures_total',
        'Data-path authentication failures by reason (problem code)',
        'counter',
        () => gw().authFailures.map(({ reason, value }) => ({ labels: { reason }, value })),
      ) as never,
    );
    this.registry.registerMetric(
      scraped(
        'gatehouse_rate_limited_total',
        'Requests refused by a token bucket (ip or credential)',
        'counter',
        () => gw().rateLimited.map(({ limit, value }) => ({ labels: { limit }, value })),
      ) as never,
    );
    this.registry.registerMetric(
      scraped('gatehouse_webhook_queue_depth', 'Webhook deliveries waiting to be attempted', 'gauge', () => [
        { value: this.#depth },
      ]) as never,
    );
    this.#alerts = new Counter({
      name: 'gatehouse_alerts_total',
      help: 'Alerts raised by rule',
      labelNames: ['rule'],
      registers: [this.registry],
    });
    this.#webhookAttempts = new Counter({
      name: 'gatehouse_webhook_attempts_total',
      help: 'Webhook delivery attempts by outcome',
      labelNames: ['outcome'],
      registers: [this.registry],
    });
  }

  /** Counts one alert raised by `rule` (the alerts feature calls this). */
  incrementAlert(rule: string): void {
    this.#alerts.inc({ rule });
  }

  /** Counts one webhook delivery attempt (`delivered`, `failed`, …). */
  incrementWebhookAttempt(outcome: string): void {
    this.#webhookAttempts.inc({ outcome });
  }

  /** Where the scrape gets the data thread's snapshot and the queue depth from. */
  attach(sources: {
    gateway?: () => Promise<GatewayMetricsSnapshot | null>;
    queueDepth?: () => Promise<number>;
  }): void {
    if (sources.gateway) this.#fetchGateway = sources.gateway;
    if (sources.queueDepth) this.#queueDepth = sources.queueDepth;
  }

  /** The Prometheus text of everything, with the data thread's latest counters. */
  async render(): Promise<string> {
    const [snapshot, depth] = await Promise.all([
      this.#fetchGateway().catch(() => null),
      this.#queueDepth().catch(() => this.#depth),
    ]);
    if (snapshot !== null) this.#gateway = snapshot;
    this.#depth = depth;
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
