import Type from 'typebox';
import { Environment, Metadata, NullableTimestamp, Timestamp, Uuid } from '../http/schemas.ts';
import { EventTypeName } from './event-type-schemas.ts';

const Url = Type.String({
  minLength: 1,
  maxLength: 2048,
  description: 'https:// URL that resolves to public addresses only',
});
const EventTypes = Type.Array(EventTypeName, {
  minItems: 1,
  maxItems: 100,
  uniqueItems: true,
  description: 'Event types this endpoint receives; each must be in the catalog',
});
const Description = Type.String({ maxLength: 1000 });
const SigningScheme = Type.Union(
  [Type.Literal('standard'), Type.Literal('simple'), Type.Literal('ed25519')],
  {
    description:
      'standard: Standard Webhooks v1 HMAC (default); simple: hex HMAC-SHA256 of the body in signature_header; ed25519: Standard Webhooks v1a',
  },
);
const SignatureHeader = Type.Union([Type.String({ pattern: '^[A-Za-z][A-Za-z0-9-]{0,63}$' }), Type.Null()], {
  description: 'Header of the simple scheme (default X-Webhook-Signature); null for the others',
});

const writable = {
  url: Url,
  description: Description,
  event_types: EventTypes,
  enabled: Type.Boolean(),
  signature_header: SignatureHeader,
  metadata: Metadata,
};

export const CreateEndpointBody = Type.Object(
  {
    integrator_id: Uuid,
    environment: Environment,
    url: Url,
    event_types: EventTypes,
    description: Type.Optional(Description),
    enabled: Type.Optional(Type.Boolean()),
    signing_scheme: Type.Optional(SigningScheme),
    signature_header: Type.Optional(SignatureHeader),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);

/** PUT takes every writable field; read-only fields may be echoed back unchanged. */
export const ReplaceEndpointBody = Type.Object(
  {
    ...writable,
    id: Type.Optional(Type.Unknown()),
    integrator_id: Type.Optional(Type.Unknown()),
    environment: Type.Optional(Type.Unknown()),
    signing_scheme: Type.Optional(Type.Unknown()),
    public_key: Type.Optional(Type.Unknown()),
    secrets: Type.Optional(Type.Unknown()),
    disabled_reason: Type.Optional(Type.Unknown()),
    failing_since: Type.Optional(Type.Unknown()),
    version: Type.Optional(Type.Unknown()),
    created_at: Type.Optional(Type.Unknown()),
    updated_at: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

export const RotateSecretBody = Type.Object(
  {
    overlap_seconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 30 * 86400,
        description: 'How long the current secret keeps signing alongside the new one; default 86400',
      }),
    ),
  },
  { additionalProperties: false },
);

export const ReplayFailedBody = Type.Object(
  { since: Timestamp },
  { additionalProperties: false, description: 'Replays every failed delivery created at or after `since`' },
);

export const EndpointListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    integrator_id: Type.Optional(Uuid),
    environment: Type.Optional(Environment),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const EndpointSchema = Type.Object({
  ...writable,
  id: Uuid,
  integrator_id: Uuid,
  environment: Environment,
  signing_scheme: SigningScheme,
  public_key: Type.Union([Type.String(), Type.Null()], {
    description: 'Ed25519 public key (whpk_…) receivers verify v1a signatures with',
  }),
  secrets: Type.Array(
    Type.Object({
      id: Uuid,
      hint: Type.String(),
      public_key: Type.Union([Type.String(), Type.Null()]),
      created_at: Timestamp,
      expires_at: NullableTimestamp,
    }),
  ),
  disabled_reason: Type.Union([
    Type.Literal('disabled_by_admin'),
    Type.Literal('gone'),
    Type.Literal('failing'),
    Type.Null(),
  ]),
  failing_since: NullableTimestamp,
  version: Type.Integer(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const IssuedEndpointSchema = Type.Object({
  ...EndpointSchema.properties,
  secret: Type.Union([Type.String(), Type.Null()], {
    description:
      'The signing secret (whsec_…). Shown only in this response; null for ed25519 (see public_key).',
  }),
});
