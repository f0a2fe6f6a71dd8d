import Type from 'typebox';
import { Environment, NullableTimestamp, Timestamp, Uuid } from '../http/schemas.ts';
import { EventTypeName } from './event-type-schemas.ts';

export const PublishBody = Type.Object(
  {
    type: EventTypeName,
    integrator_id: Uuid,
    environment: Environment,
    data: Type.Unknown({ description: 'The event data; must match the event type’s schema' }),
  },
  { additionalProperties: false },
);

export const PublishedSchema = Type.Object({
  id: Uuid,
  type: Type.String(),
  integrator_id: Uuid,
  environment: Environment,
  created_at: Timestamp,
  deliveries: Type.Integer({ description: 'How many endpoints the event was queued for' }),
});

const page = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
};

export const MessageListQuery = Type.Object(
  {
    ...page,
    integrator_id: Type.Optional(Uuid),
    environment: Type.Optional(Environment),
    type: Type.Optional(EventTypeName),
  },
  { additionalProperties: false },
);

export const MessageSchema = Type.Object({
  id: Uuid,
  type: Type.String(),
  integrator_id: Uuid,
  environment: Environment,
  created_at: Timestamp,
});

export const MessageWithPayloadSchema = Type.Object({
  ...MessageSchema.properties,
  payload: Type.Unknown({ description: 'The body every endpoint receives: {type, timestamp, data}' }),
});

const DeliveryStatus = Type.Union([
  Type.Literal('pending'),
  Type.Literal('delivering'),
  Type.Literal('succeeded'),
  Type.Literal('failed'),
]);

export const DeliveryListQuery = Type.Object(
  {
    ...page,
    message_id: Type.Optional(Uuid),
    endpoint_id: Type.Optional(Uuid),
    integrator_id: Type.Optional(Uuid),
    status: Type.Optional(
      Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]),
    ),
  },
  { additionalProperties: false },
);

const NullableInteger = Type.Union([Type.Integer(), Type.Null()]);
const NullableString = Type.Union([Type.String(), Type.Null()]);

export const DeliverySchema = Type.Object({
  id: Uuid,
  message_id: Uuid,
  endpoint_id: Uuid,
  integrator_id: Uuid,
  status: DeliveryStatus,
  attempts: Type.Integer(),
  next_attempt_at: NullableTimestamp,
  last_attempt_at: NullableTimestamp,
  last_status_code: NullableInteger,
  last_error: NullableString,
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const AttemptSchema = Type.Object({
  id: Uuid,
  delivery_id: Uuid,
  message_id: Uuid,
  endpoint_id: Uuid,
  attempt: Type.Integer(),
  started_at: Timestamp,
  duration_ms: Type.Integer(),
  status_code: NullableInteger,
  error: NullableString,
  response_body: NullableString,
});

export const ReplayMessageBody = Type.Object(
  { endpoint_id: Type.Optional(Uuid) },
  {
    additionalProperties: false,
    description: 'Omit endpoint_id to send the message again to all its endpoints',
  },
);

export const ReplayResultSchema = Type.Object({
  replayed: Type.Integer({ description: 'How many deliveries were queued again' }),
});
