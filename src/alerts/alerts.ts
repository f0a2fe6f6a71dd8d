import type { AuditLog } from '../audit/audit-log.ts';
import type { Envelope } from '../crypto/envelope.ts';
import type { Database } from '../db/database.ts';
import type { Logger } from '../log/logger.ts';
import type { SecurityEvents } from '../monitor/security-events.ts';
import type { WebhookConfig } from '../webhooks/webhook-config.ts';
import type { AlertConfig } from './alert-config.ts';
import { AlertService } from './alert-service.ts';
import { CredentialScan } from './credential-scan.ts';
import { EventDetectors } from './event-detectors.ts';
import { SinkDelivery } from './sink-delivery.ts';
import { SinkService } from './sink-service.ts';

export interface AlertsDeps {
  readonly config: {
    readonly alerts: AlertConfig;
    readonly webhooks: Pick<WebhookConfig, 'allowPrivateAddresses' | 'extraCa' | 'timeoutMs'>;
  };
  readonly database: Database;
  readonly audit: AuditLog;
  readonly envelope: Envelope;
  readonly securityEvents: SecurityEvents;
  readonly logger: Logger;
}

/** The alert service with the event detectors feeding it: what every thread that records events needs. */
export function createAlertService(deps: AlertsDeps, onQueued?: () => void): AlertService {
  const alerts = new AlertService({
    db: deps.database.db,
    audit: deps.audit,
    logger: deps.logger.child({ component: 'alerts' }),
    dedupWindowMs: deps.config.alerts.dedupWindowMs,
    ...(onQueued ? { onQueued } : {}),
  });
  const detectors = new EventDetectors({
    raiser: alerts,
    threshold: deps.config.alerts.authFailureThreshold,
    windowMs: deps.config.alerts.authFailureWindowMs,
  });
  deps.securityEvents.observe(detectors.observe);
  return alerts;
}

export interface AlertSinks {
  readonly sinks: SinkService;
  readonly delivery: SinkDelivery;
  readonly scan: CredentialScan;
  start(): void;
  close(): Promise<void>;
}

/**
 * Sink management, the outbox worker and the off-path scans (main thread only; the worker polls for
 * the data thread's alerts).
 */
export function createAlertSinks(deps: AlertsDeps, raiser: AlertService): AlertSinks {
  const { config } = deps;
  const scan = new CredentialScan({
    db: deps.database.db,
    securityEvents: deps.securityEvents,
    raiser,
    config: config.alerts,
    logger: deps.logger.child({ component: 'alert-scan' }),
  });
  return {
    scan,
    start() {
      this.delivery.start();
      scan.start();
    },
    async close() {
      await scan.close();
      await this.delivery.close();
    },
    sinks: new SinkService({
      db: deps.database.db,
      audit: deps.audit,
      envelope: deps.envelope,
      allowPrivateAddresses: config.webhooks.allowPrivateAddresses,
      smtpConfigured: config.alerts.smtpUrl !== null,
    }),
    delivery: new SinkDelivery({
      db: deps.database.db,
      envelope: deps.envelope,
      logger: deps.logger.child({ component: 'alert-sinks' }),
      config: config.alerts,
      allowPrivateAddresses: config.webhooks.allowPrivateAddresses,
      extraCa: config.webhooks.extraCa,
      timeoutMs: config.webhooks.timeoutMs,
    }),
  };
}
