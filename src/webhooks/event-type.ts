import type { WebhookEventTypeTable } from './webhook-schema.ts';

/** An event type of the catalog: a dotted name and the JSON Schema its `data` must match (W1). */
export interface EventType {
  id: string;
  name: string;
  description: string;
  schema: Record<string, unknown>;
  version: number;
  created_at: string;
  updated_at: string;
}

/** Dotted identifiers of `[A-Za-z0-9_]`, as Standard Webhooks recommends: `invoice.paid`. */
export const EVENT_TYPE_NAME_PATTERN = '^[A-Za-z0-9_]{1,64}(\\.[A-Za-z0-9_]{1,64}){0,7}$';

export const IMMUTABLE_EVENT_TYPE_FIELDS = ['id', 'name', 'created_at'] as const;

export function toEventType(row: WebhookEventTypeTable): EventType {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    schema: JSON.parse(row.schema_json) as Record<string, unknown>,
    version: row.version,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}
