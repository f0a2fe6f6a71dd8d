import { createSecretKey } from 'node:crypto';
import type { Kysely } from 'kysely';
import { createTransport, type Transporter } from 'nodemailer';
import { type Agent, request } from 'undici';
import type { Envelope } from '../crypto/envelope.ts';
import type { Schema } from '../db/schema.ts';
import type { Logger } from '../log/logger.ts';
import { createDeliveryAgent } from '../webhooks/delivery-agent.ts';
import { signV1 } from '../webhooks/standard-signature.ts';
import type { AlertConfig } from './alert-config.ts';
import type { AlertDeliveryTable, AlertSinkTable } from './alert-schema.ts';
import type { Alert } from './alert-types.ts';
import { sinkSecretContext } from './sink-service.ts';

export interface SinkDeliveryDeps {
  readonly db: Kysely<Schema>;
  readonly envelope: Envelope;
  readonly logger: Logger;
  readonly config: AlertConfig;
  readonly allowPrivateAddresses: boolean;
  readonly extraCa: string | null;
  readonly timeoutMs: number;
}

const BATCH = 50;

/** One line of text naming the rule, for Slack and email. */
export function alertText(alert: Alert): string {
  const times = alert.count > 1 ? ` (${alert.count} times)` : '';
  return `Gatehouse alert: rule ${alert.rule} for ${alert.subject}${times}, first seen ${alert.first_seen}`;
}

/**
 * Sends queued alert deliveries (the `alert_deliveries` outbox) to their sinks; a failure is
 * retried on `config.retryScheduleMs` and recorded on the sink (`last_error`, `last_failure_at`).
 */
export class SinkDelivery {
  readonly #deps: SinkDeliveryDeps;
  readonly #agent: Agent;
  #mailer: Transporter | null = null;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #again = false;
  #closed = false;

  constructor(deps: SinkDeliveryDeps) {
    this.#deps = deps;
    this.#agent = createDeliveryAgent({
      allowPrivate: deps.allowPrivateAddresses,
      extraCa: deps.extraCa,
      connectTimeoutMs: deps.timeoutMs,
    });
  }

  start(): void {
    this.#timer = setInterval(() => this.wake(), this.#deps.config.deliveryPollMs);
    this.#timer.unref();
    this.wake();
  }

  /** Looks for due deliveries now (after a raise on this thread). */
  wake(): void {
    if (this.#closed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#drain()
      .catch((error: unknown) => this.#deps.logger.error({ err: error }, 'alert delivery pass failed'))
      .finally(() => {
        this.#running = null;
        if (this.#again) {
          this.#again = false;
          this.wake();
        }
      });
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
    this.#mailer?.close();
    await this.#agent.close();
  }

  async #drain(): Promise<void> {
    const { db } = this.#deps;
    const now = Date.now();
    const due = await db
      .selectFrom('alert_deliveries')
      .selectAll()
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .orderBy('next_attempt_at')
      .limit(BATCH)
      .execute();
    for (const delivery of due) {
      if (this.#closed) return;
      await this.#attempt(delivery);
    }
  }

  async #attempt(delivery: AlertDeliveryTable): Promise<void> {
    const { db, logger, config } = this.#deps;
    const sink = await db
      .selectFrom('alert_sinks')
      .selectAll()
      .where('id', '=', delivery.sink_id)
      .executeTakeFirst();
    if (!sink) {
      await db.deleteFrom('alert_deliveries').where('id', '=', delivery.id).execute();
      return;
    }
    const now = Date.now();
    // Claim the attempt first: another thread or instance polling the outbox skips it.
    const claimed = await db
      .updateTable('alert_deliveries')
      .set({
        attempts: delivery.attempts + 1,
        next_attempt_at: now + this.#delayAfter(delivery.attempts + 1),
      })
      .where('id', '=', delivery.id)
      .where('attempts', '=', delivery.attempts)
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) return;
    try {
      await this.#send(sink, delivery, JSON.parse(delivery.payload_json) as Alert);
      await db
        .updateTable('alert_deliveries')
        .set({ status: 'delivered' })
        .where('id', '=', delivery.id)
        .execute();
      await db
        .updateTable('alert_sinks')
        .set({ last_success_at: Date.now() })
        .where('id', '=', sink.id)
        .execute();
    } catch (error) {
      const message = (error instanceof Error ? error.message : String(error)).slice(0, 300);
      const last = delivery.attempts + 1 >= config.retryScheduleMs.length;
      logger.warn(
        { alert_sink_id: sink.id, sink_type: sink.type, attempt: delivery.attempts + 1, error: message },
        last ? 'alert sink delivery failed; giving up' : 'alert sink delivery failed; will retry',
      );
      await db
        .updateTable('alert_sinks')
        .set({ last_error: message, last_failure_at: Date.now() })
        .where('id', '=', sink.id)
        .execute();
      if (last)
        await db
          .updateTable('alert_deliveries')
          .set({ status: 'failed' })
          .where('id', '=', delivery.id)
          .execute();
    }
  }

  #delayAfter(attempts: number): number {
    const schedule = this.#deps.config.retryScheduleMs;
    return schedule[Math.min(attempts, schedule.length - 1)] ?? 60_000;
  }

  async #send(sink: AlertSinkTable, delivery: AlertDeliveryTable, alert: Alert): Promise<void> {
    switch (sink.type) {
      case 'log':
        this.#deps.logger.warn(
          { alert_id: alert.id, rule: alert.rule, subject: alert.subject, count: alert.count },
          `alert: ${alert.rule}`,
        );
        return;
      case 'webhook':
        return this.#post(sink.target, this.#signedHeaders(sink, delivery), {
          type: 'alert.raised',
          timestamp: new Date().toISOString(),
          data: alert,
        });
      case 'slack':
        return this.#post(sink.target, {}, { text: alertText(alert) });
      case 'email':
        return this.#email(sink.target, alert);
      default:
        throw new Error(`unknown sink type ${sink.type}`);
    }
  }

  #signedHeaders(
    sink: AlertSinkTable,
    delivery: AlertDeliveryTable,
  ): (body: string) => Record<string, string> {
    return (body) => {
      if (sink.secret_sealed === null) throw new Error('webhook sink has no signing key');
      const key = createSecretKey(this.#deps.envelope.open(sink.secret_sealed, sinkSecretContext(sink.id)));
      const timestamp = Math.floor(Date.now() / 1000);
      return {
        'webhook-id': delivery.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signV1(key, { id: delivery.id, timestamp, body }),
      };
    };
  }

  async #post(
    url: string,
    headers: Record<string, string> | ((body: string) => Record<string, string>),
    payload: unknown,
  ): Promise<void> {
    const body = JSON.stringify(payload);
    const extra = typeof headers === 'function' ? headers(body) : headers;
    const response = await request(url, {
      method: 'POST',
      dispatcher: this.#agent,
      headers: { 'content-type': 'application/json', 'user-agent': 'Gatehouse-Alerts', ...extra },
      body,
      headersTimeout: this.#deps.timeoutMs,
      bodyTimeout: this.#deps.timeoutMs,
    });
    await response.body.dump();
    if (response.statusCode < 200 || response.statusCode > 299)
      throw new Error(`sink answered HTTP ${response.statusCode}`);
  }

  async #email(to: string, alert: Alert): Promise<void> {
    const { smtpUrl, smtpFrom } = this.#deps.config;
    if (smtpUrl === null) throw new Error('GATEHOUSE_SMTP_URL is not set');
    this.#mailer ??= createTransport(smtpUrl);
    await this.#mailer.sendMail({
      from: smtpFrom,
      to,
      subject: `Gatehouse alert: ${alert.rule}`,
      text: `${alertText(alert)}\n\n${JSON.stringify(alert, null, 2)}\n`,
    });
  }
}
