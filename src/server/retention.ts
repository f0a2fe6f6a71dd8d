import { IdempotencyPurge } from '../admin/idempotency-purge.ts';
import { AlertPurge } from '../alerts/alert-purge.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { AuditPurge } from '../audit/audit-retention.ts';
import type { Database } from '../db/database.ts';
import type { Logger } from '../log/logger.ts';
import { SecurityEventPurge } from '../monitor/security-event-purge.ts';
import type { RetentionConfig } from '../retention/retention-config.ts';
import { RetentionJob } from '../retention/retention-job.ts';
import { UsagePurge } from '../usage/usage-purge.ts';
import { WebhookPurge } from '../webhooks/webhook-purge.ts';

/** The retention job with each feature's purge of the tables it owns (the composition root's list). */
export function createRetentionJob(deps: {
  config: RetentionConfig;
  database: Database;
  audit: AuditLog;
  logger: Logger;
}): RetentionJob {
  const { db } = deps.database;
  return new RetentionJob({
    config: deps.config,
    purgers: {
      USAGE: new UsagePurge(db),
      WEBHOOK_PAYLOADS: new WebhookPurge(db),
      SECURITY_EVENTS: new SecurityEventPurge(db),
      ALERTS: new AlertPurge(db),
      IDEMPOTENCY: new IdempotencyPurge(db),
      // Only through a signed checkpoint, so the chain stays verifiable (L3).
      AUDIT: new AuditPurge(db, deps.audit),
    },
    logger: deps.logger.child({ component: 'retention' }),
  });
}
