import Type from 'typebox';
import { Timestamp, Uuid } from '../http/schemas.ts';
import { EVENT_TYPE_NAME_PATTERN } from './event-type.ts';

export const EventTypeName = Type.String({
  pattern: EVENT_TYPE_NAME_PATTERN,
  maxLength: 200,
  description: 'Dotted identifier, e.g. invoice.paid',
});
const Description = Type.String({ maxLength: 1000 });
const JsonSchema = Type.Record(Type.String(), Type.Unknown(), {
  description: 'JSON Schema (draft-07) that every event’s data must match',
});

export const CreateEventTypeBody = Type.Object(
  { name: EventTypeName, description: Type.Optional(Description), schema: JsonSchema },
  { additionalProperties: false },
);

/** PUT takes every writable field; read-only fields may be echoed back unchanged. */
export const ReplaceEventTypeBody = Type.Object(
  {
    description: Description,
    schema: JsonSchema,
    id: Type.Optional(Type.Unknown()),
    name: Type.Optional(Type.Unknown()),
    version: Type.Optional(Type.Unknown()),
    created_at: Type.Optional(Type.Unknown()),
    updated_at: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

export const EventTypeListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    name: Type.Optional(EventTypeName),
  },
  { additionalProperties: false },
);

export const EventTypeSchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  description: Type.String(),
  schema: Type.Record(Type.String(), Type.Unknown()),
  version: Type.Integer(),
  created_at: Timestamp,
  updated_at: Timestamp,
});
