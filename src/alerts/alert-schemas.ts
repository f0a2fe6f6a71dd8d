import Type from 'typebox';
import { NullableTimestamp, Timestamp, Uuid } from '../http/schemas.ts';
import { ALERT_RULES } from './alert-types.ts';
import { SINK_TYPES } from './sink-service.ts';

const Nullable = <T extends Type.TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const AlertSchema = Type.Object({
  id: Uuid,
  rule: Type.String(),
  subject: Type.String(),
  status: Type.Union([Type.Literal('open'), Type.Literal('acknowledged')]),
  count: Type.Integer(),
  first_seen: Timestamp,
  last_seen: Timestamp,
  event_ids: Type.Array(Type.String()),
  details: Type.Record(Type.String(), Type.Unknown()),
  acknowledged_at: NullableTimestamp,
  acknowledged_by: Nullable(Type.String()),
});

export const AlertListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    rule: Type.Optional(Type.Union(ALERT_RULES.map((rule) => Type.Literal(rule)))),
    status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('acknowledged')])),
  },
  { additionalProperties: false },
);

export const SinkSchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  type: Type.Union(SINK_TYPES.map((type) => Type.Literal(type))),
  url: Nullable(Type.String()),
  to: Nullable(Type.String()),
  enabled: Type.Boolean(),
  created_at: Timestamp,
  last_error: Nullable(Type.String()),
  last_failure_at: NullableTimestamp,
  last_success_at: NullableTimestamp,
});

export const CreatedSinkSchema = Type.Intersect([
  SinkSchema,
  Type.Object({
    secret: Type.Optional(
      Type.String({ description: 'The webhook sink’s `whsec_` signing secret, shown once' }),
    ),
  }),
]);

export const CreateSinkBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    type: Type.Union(SINK_TYPES.map((type) => Type.Literal(type))),
    url: Type.Optional(Type.String({ maxLength: 2048 })),
    to: Type.Optional(Type.String({ maxLength: 320 })),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const SinkListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
