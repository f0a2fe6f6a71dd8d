import Type from 'typebox';
import { Environment, NullableTimestamp, Timestamp, Uuid } from '../http/schemas.ts';
import { BULK_KINDS } from './credential-selection.ts';
import { ATTACHMENT_KINDS, SEVERITIES } from './incident.ts';

const Nullable = <T extends Type.TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));

const Actor = Type.Object({
  type: Type.String(),
  id: Nullable(Type.String()),
  name: Type.String(),
});

export const IncidentSchema = Type.Object({
  id: Uuid,
  title: Type.String(),
  severity: literals(SEVERITIES),
  status: literals(['open', 'closed'] as const),
  summary: Type.String(),
  resolution: Nullable(Type.String()),
  opened_by: Actor,
  version: Type.Integer(),
  created_at: Timestamp,
  updated_at: Timestamp,
  closed_at: NullableTimestamp,
});

export const IncidentEntrySchema = Type.Object({
  id: Uuid,
  kind: Type.String({ description: 'opened, note, alert, security_event, credential, action or closed' }),
  ref_id: Type.String(),
  text: Nullable(Type.String()),
  details: Type.Record(Type.String(), Type.Unknown()),
  actor: Actor,
  created_at: Timestamp,
});

export const IncidentWithEntriesSchema = Type.Intersect([
  IncidentSchema,
  Type.Object({ entries: Type.Array(IncidentEntrySchema) }),
]);

export const OpenIncidentBody = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 200 }),
    severity: literals(SEVERITIES),
    summary: Type.Optional(Type.String({ maxLength: 10_000 })),
  },
  { additionalProperties: false },
);

export const IncidentListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    status: Type.Optional(literals(['open', 'closed'] as const)),
  },
  { additionalProperties: false },
);

export const NoteBody = Type.Object(
  { text: Type.String({ minLength: 1, maxLength: 10_000 }) },
  { additionalProperties: false },
);

export const AttachBody = Type.Object(
  {
    kind: literals(ATTACHMENT_KINDS),
    id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
  },
  { additionalProperties: false },
);

export const CloseBody = Type.Object(
  { resolution: Type.String({ minLength: 1, maxLength: 10_000 }) },
  { additionalProperties: false },
);

const SelectionFields = {
  environment: Type.Optional(Environment),
  integrator_id: Type.Optional(Uuid),
  created_after: Type.Optional(Timestamp),
  created_before: Type.Optional(Timestamp),
  used_from_ip: Type.Optional(Type.String({ minLength: 2, maxLength: 45 })),
  used_since: Type.Optional(Timestamp),
  kinds: Type.Optional(Type.Array(literals(BULK_KINDS), { minItems: 1, maxItems: 3 })),
};

export const RotateAllBody = Type.Object(
  {
    ...SelectionFields,
    overlap_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 30 * 86_400 })),
    dry_run: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const RevokeAllBody = Type.Object(
  {
    ...SelectionFields,
    reason: Type.Optional(Type.String({ maxLength: 500 })),
    dry_run: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const BulkResultSchema = Type.Object({
  id: Nullable(Uuid),
  action: literals(['rotate', 'revoke'] as const),
  incident_id: Nullable(Uuid),
  dry_run: Type.Boolean(),
  status: literals(['preview', 'running', 'done'] as const),
  selection: Type.Record(Type.String(), Type.Unknown()),
  overlap_seconds: Nullable(Type.Integer()),
  counts: Type.Object({
    selected: Type.Integer(),
    changed: Type.Integer(),
    failed: Type.Integer(),
    pending: Type.Integer(),
  }),
  secrets_included: Type.Boolean(),
  replayed: Type.Boolean(),
  created_at: NullableTimestamp,
  finished_at: NullableTimestamp,
  credentials: Type.Array(
    Type.Object({
      kind: literals(BULK_KINDS),
      id: Type.String(),
      integrator_id: Type.String(),
      environment: Environment,
      name: Type.String(),
      outcome: Type.String(),
      error_code: Nullable(Type.String()),
      secret: Nullable(Type.String({ description: 'The new secret: in this response only' })),
      old_secrets_end: NullableTimestamp,
    }),
  ),
});

export const BulkParams = Type.Object({ id: Uuid }, { additionalProperties: false });
