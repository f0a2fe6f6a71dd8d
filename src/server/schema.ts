import type { AdminTables } from '../admin/admin-schema.ts';
import type { AlertTables } from '../alerts/alert-schema.ts';
import type { AuditTables } from '../audit/audit-schema.ts';
import type { ConsoleTables } from '../console/console-schema.ts';
import type { ChangeGenerationTables } from '../events/change-generation.ts';
import type { IncidentTables } from '../incidents/incident-schema.ts';
import type { IntegratorTables } from '../integrators/integrator-schema.ts';
import type { KeyTables } from '../keys/key-schema.ts';
import type { LeakTables } from '../leaks/leak-schema.ts';
import type { MonitorTables } from '../monitor/security-event-schema.ts';
import type { OAuthTables } from '../oauth/oauth-schema.ts';
import type { UsageTables } from '../usage/usage-schema.ts';
import type { WebhookTables } from '../webhooks/webhook-schema.ts';

// Every concept's tables, merged into `db/schema.ts`'s `Schema` (the list lives here, not in db/).
// A new feature adds its `…Tables` interface to this `extends` list (see README.md).
declare module '../db/schema.ts' {
  interface Schema
    extends AuditTables,
      AdminTables,
      IntegratorTables,
      KeyTables,
      MonitorTables,
      OAuthTables,
      WebhookTables,
      AlertTables,
      UsageTables,
      LeakTables,
      ChangeGenerationTables,
      IncidentTables,
      ConsoleTables {}
}
