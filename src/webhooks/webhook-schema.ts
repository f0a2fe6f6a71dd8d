import type { Kysely, Migration } from 'kysely';

/** An event type of the catalog (W1): a name and the JSON Schema its `data` must match. */
export interface WebhookEventTypeTable {
  id: string;
  name: string;
  description: string;
  schema_json: string;
  version: number;
  created_at: number;
  updated_at: number;
}

export interface WebhookEndpointTable {
  id: string;
  integrator_id: string;
  environment: string;
  url: string;
  description: string;
  event_types_json: string;
  /** 1 or 0. */
  enabled: number;
  disabled_reason: string | null;
  signing_scheme: string;
  /** The header that carries the signature in the `simple` scheme; null for the others. */
  signature_header: string | null;
  metadata_json: string;
  /** When the current run of failed attempts began; null after a success. */
  failing_since: number | null;
  version: number;
  created_at: number;
  updated_at: number;
}

/** An endpoint's signing secrets: one, or several while a rotation's overlap runs. */
export interface WebhookEndpointSecretTable {
  id: string;
  endpoint_id: string;
  /** `hmac` (standard and simple schemes) or `ed25519`. */
  kind: string;
  /** The HMAC key or the Ed25519 private key, sealed with the envelope keys (P1). */
  secret_sealed: string;
  /** `whpk_…` for Ed25519 keys. */
  public_key: string | null;
  hint: string;
  created_at: number;
  expires_at: number | null;
}

export interface WebhookMessageTable {
  id: string;
  integrator_id: string;
  environment: string;
  event_type: string;
  /** The exact body every endpoint receives, sealed (P1). */
  payload_sealed: string;
  created_at: number;
}

/** One message to one endpoint: the unit of the durable queue. */
export interface WebhookDeliveryTable {
  id: string;
  message_id: string;
  endpoint_id: string;
  integrator_id: string;
  /** `pending` (waiting or in flight), `succeeded` or `failed`. */
  status: string;
  attempts: number;
  /** Position in the retry schedule; a replay starts it again. */
  retry_step: number;
  /** When it may next be claimed: the due time, or the end of the current claim's lease. */
  next_attempt_at: number;
  /** The end of the lease of the worker that claimed it; null when nobody holds it. */
  locked_until: number | null;
  last_attempt_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

export interface WebhookAttemptTable {
  id: string;
  delivery_id: string;
  message_id: string;
  endpoint_id: string;
  attempt: number;
  started_at: number;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  /** The start of the receiver's response body, sealed; null when it sent none. */
  response_sealed: string | null;
}

export interface WebhookTables {
  webhook_event_types: WebhookEventTypeTable;
  webhook_endpoints: WebhookEndpointTable;
  webhook_endpoint_secrets: WebhookEndpointSecretTable;
  webhook_messages: WebhookMessageTable;
  webhook_deliveries: WebhookDeliveryTable;
  webhook_attempts: WebhookAttemptTable;
}

export const webhooksMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('webhook_event_types')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('schema_json', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('webhook_endpoints')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('integrator_id', 'text', (c) => c.notNull().references('integrators.id'))
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull())
      .addColumn('event_types_json', 'text', (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('disabled_reason', 'text')
      .addColumn('signing_scheme', 'text', (c) => c.notNull())
      .addColumn('signature_header', 'text')
      .addColumn('metadata_json', 'text', (c) => c.notNull())
      .addColumn('failing_since', 'bigint')
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('webhook_endpoints_owner')
      .on('webhook_endpoints')
      .columns(['integrator_id', 'environment'])
      .execute();

    await db.schema
      .createTable('webhook_endpoint_secrets')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('endpoint_id', 'text', (c) => c.notNull().references('webhook_endpoints.id'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('secret_sealed', 'text', (c) => c.notNull())
      .addColumn('public_key', 'text')
      .addColumn('hint', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('webhook_endpoint_secrets_endpoint')
      .on('webhook_endpoint_secrets')
      .column('endpoint_id')
      .execute();

    await db.schema
      .createTable('webhook_messages')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('integrator_id', 'text', (c) => c.notNull().references('integrators.id'))
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('event_type', 'text', (c) => c.notNull())
      .addColumn('payload_sealed', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('webhook_messages_integrator')
      .on('webhook_messages')
      .columns(['integrator_id', 'id'])
      .execute();

    await db.schema
      .createTable('webhook_deliveries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('message_id', 'text', (c) => c.notNull().references('webhook_messages.id'))
      .addColumn('endpoint_id', 'text', (c) => c.notNull().references('webhook_endpoints.id'))
      .addColumn('integrator_id', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('retry_step', 'integer', (c) => c.notNull())
      .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
      .addColumn('locked_until', 'bigint')
      .addColumn('last_attempt_at', 'bigint')
      .addColumn('last_status_code', 'integer')
      .addColumn('last_error', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    // The queue's only hot query: due pending deliveries, oldest due first.
    await db.schema
      .createIndex('webhook_deliveries_due')
      .on('webhook_deliveries')
      .columns(['status', 'next_attempt_at'])
      .execute();
    await db.schema
      .createIndex('webhook_deliveries_endpoint')
      .on('webhook_deliveries')
      .columns(['endpoint_id', 'id'])
      .execute();
    await db.schema
      .createIndex('webhook_deliveries_message')
      .on('webhook_deliveries')
      .column('message_id')
      .execute();

    await db.schema
      .createTable('webhook_attempts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('delivery_id', 'text', (c) => c.notNull().references('webhook_deliveries.id'))
      .addColumn('message_id', 'text', (c) => c.notNull())
      .addColumn('endpoint_id', 'text', (c) => c.notNull())
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('duration_ms', 'integer', (c) => c.notNull())
      .addColumn('status_code', 'integer')
      .addColumn('error', 'text')
      .addColumn('response_sealed', 'text')
      .execute();
    await db.schema
      .createIndex('webhook_attempts_delivery')
      .on('webhook_attempts')
      .columns(['delivery_id', 'id'])
      .execute();
  },
};
