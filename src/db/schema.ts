import type { AdminTables } from '../admin/admin-schema.ts';
import type { AuditTables } from '../audit/audit-schema.ts';
import type { IntegratorTables } from '../integrators/integrator-schema.ts';
import type { KeyTables } from '../keys/key-schema.ts';
import type { MonitorTables } from '../monitor/security-event-schema.ts';
import type { OAuthTables } from '../oauth/oauth-schema.ts';
import type { UsageTables } from '../usage/usage-schema.ts';
import type { WebhookTables } from '../webhooks/webhook-schema.ts';

/** The whole database as Kysely sees it; each concept declares its own tables. */
export interface Schema
  extends AuditTables,
    AdminTables,
    IntegratorTables,
    KeyTables,
    MonitorTables,
    OAuthTables,
    UsageTables,
    WebhookTables {}
