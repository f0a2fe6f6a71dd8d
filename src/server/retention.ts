import { IdempotencyPurge } from '../admin/idempotency-purge.ts';
import { AlertPurge } from '../alerts/alert-purge.ts';
import type { Database } from '../db/database.ts';
import type { Logger } from '../log/logger.ts';
import { SecurityEventPurge } from '../monitor/security-event-purge.ts';
import type { RetentionConfig } from '../retention/retention-config.ts';
import { RetentionJob } from '../retention/retention-job.ts';
import { UsagePurge } from '../usage/usage-purge.ts';
import { WebhookPurge } from '../webhooks/webhook-purge.ts';

/** Why the audit class is reported and not purged by this job. */
export const AUDIT_NOT_PURGED =
  'audit entries are removed only through a signed checkpoint; this job does not purge them yet';

/** The retention job with each feature's purge of the tables it owns (the composition root's list). */
export function createRetentionJob(deps: {
  config: RetentionConfig;
  database: Database;
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
    },
    notPurged: { AUDIT: AUDIT_NOT_PURGED },
    logger: deps.logger.child({ component: 'retention' }),
  });
}
