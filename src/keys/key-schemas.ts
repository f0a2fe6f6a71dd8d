import Type from 'typebox';
import { Environment, Metadata, NullableTimestamp, Timestamp, Uuid } from '../http/schemas.ts';

export const Scope = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.:/*-]{0,127}$',
  description: 'e.g. orders:read',
});
export const Scopes = Type.Array(Scope, { maxItems: 100, uniqueItems: true });
export const AllowedIps = Type.Array(Type.String({ maxLength: 64 }), {
  maxItems: 100,
  description: 'IPv4/IPv6 addresses or CIDR ranges; empty allows any address',
});
const UsageLimit = Type.Union([
  Type.Object(
    {
      remaining: Type.Integer({ minimum: 0, maximum: 1e12 }),
      refill: Type.Union([
        Type.Object(
          {
            amount: Type.Integer({ minimum: 1, maximum: 1e12 }),
            interval: Type.Union([
              Type.Literal('hour'),
              Type.Literal('day'),
              Type.Literal('week'),
              Type.Literal('month'),
            ]),
          },
          { additionalProperties: false },
        ),
        Type.Null(),
      ]),
    },
    { additionalProperties: false },
  ),
  Type.Null(),
]);
export const RateLimit = Type.Union([
  Type.Object(
    {
      requests_per_second: Type.Number({ exclusiveMinimum: 0, maximum: 1e6 }),
      burst: Type.Integer({ minimum: 1, maximum: 1e6 }),
    },
    { additionalProperties: false },
  ),
  Type.Null(),
]);
export const Name = Type.String({ minLength: 1, maxLength: 200 });
export const Owner = Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()]);

const writable = {
  name: Name,
  owner: Owner,
  scopes: Scopes,
  allowed_ips: AllowedIps,
  expires_at: NullableTimestamp,
  metadata: Metadata,
  usage_limit: UsageLimit,
  rate_limit: RateLimit,
};

export const CreateKeyBody = Type.Object(
  {
    integrator_id: Uuid,
    environment: Environment,
    name: Name,
    owner: Type.Optional(Owner),
    scopes: Type.Optional(Scopes),
    allowed_ips: Type.Optional(AllowedIps),
    expires_at: Type.Optional(NullableTimestamp),
    metadata: Type.Optional(Metadata),
    usage_limit: Type.Optional(UsageLimit),
    rate_limit: Type.Optional(RateLimit),
  },
  { additionalProperties: false },
);

/** PUT takes every writable field; read-only fields may be echoed back unchanged. */
export const ReplaceKeyBody = Type.Object(
  {
    ...writable,
    id: Type.Optional(Type.Unknown()),
    integrator_id: Type.Optional(Type.Unknown()),
    environment: Type.Optional(Type.Unknown()),
    status: Type.Optional(Type.Unknown()),
    secrets: Type.Optional(Type.Unknown()),
    revoked_at: Type.Optional(Type.Unknown()),
    revoked_reason: Type.Optional(Type.Unknown()),
    last_used_at: Type.Optional(Type.Unknown()),
    version: Type.Optional(Type.Unknown()),
    created_at: Type.Optional(Type.Unknown()),
    updated_at: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

export const RotateKeyBody = Type.Object(
  {
    overlap_seconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 30 * 86400,
        description: 'How long the current secret keeps working; default 86400',
      }),
    ),
  },
  { additionalProperties: false },
);

export const RevokeKeyBody = Type.Object(
  { reason: Type.Optional(Type.String({ maxLength: 500 })) },
  { additionalProperties: false },
);

export const KeyListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    integrator_id: Type.Optional(Uuid),
    environment: Type.Optional(Environment),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('revoked')])),
  },
  { additionalProperties: false },
);

export const ApiKeySchema = Type.Object({
  ...writable,
  id: Uuid,
  integrator_id: Uuid,
  environment: Environment,
  status: Type.Union([Type.Literal('active'), Type.Literal('revoked'), Type.Literal('expired')]),
  secrets: Type.Array(
    Type.Object({ id: Uuid, hint: Type.String(), created_at: Timestamp, expires_at: NullableTimestamp }),
  ),
  revoked_at: NullableTimestamp,
  revoked_reason: Type.Union([Type.String(), Type.Null()]),
  last_used_at: NullableTimestamp,
  version: Type.Integer(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const IssuedKeySchema = Type.Object({
  ...ApiKeySchema.properties,
  key: Type.String({ description: 'The secret. Shown only in this response; store it now.' }),
});
