import Type from 'typebox';
import { Environment, Metadata, NullableTimestamp, Timestamp, Uuid } from '../http/schemas.ts';
import { AllowedIps, Name, RateLimit, Scope } from '../keys/key-schemas.ts';
import { MAX_TOKEN_TTL_SECONDS } from './oauth-client.ts';

const TokenTtl = Type.Integer({
  minimum: 60,
  maximum: MAX_TOKEN_TTL_SECONDS,
  description: 'Access token lifetime in seconds',
});
const ClientScopes = Type.Array(Scope, {
  maxItems: 100,
  uniqueItems: true,
  description: 'The scopes this client may request',
});

export const CreateClientBody = Type.Object(
  {
    integrator_id: Uuid,
    environment: Environment,
    name: Name,
    scopes: Type.Optional(ClientScopes),
    allowed_ips: Type.Optional(AllowedIps),
    token_ttl_seconds: Type.Optional(TokenTtl),
    metadata: Type.Optional(Metadata),
    rate_limit: Type.Optional(RateLimit),
  },
  { additionalProperties: false },
);

/** PUT takes every writable field; fields fixed at creation and server state may be echoed back. */
export const ReplaceClientBody = Type.Object(
  {
    name: Name,
    scopes: ClientScopes,
    allowed_ips: AllowedIps,
    token_ttl_seconds: TokenTtl,
    metadata: Metadata,
    rate_limit: RateLimit,
    ...Object.fromEntries(
      [
        'id',
        'client_id',
        'integrator_id',
        'environment',
        'status',
        'secrets',
        'revoked_at',
        'last_used_at',
        'version',
        'created_at',
        'updated_at',
      ].map((field) => [field, Type.Optional(Type.Unknown())]),
    ),
  },
  { additionalProperties: false },
);

export const ClientListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    integrator_id: Type.Optional(Uuid),
  },
  { additionalProperties: false },
);

export const RotateClientSecretBody = Type.Object(
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

export const OAuthClientSchema = Type.Object({
  id: Uuid,
  client_id: Uuid,
  integrator_id: Uuid,
  environment: Environment,
  name: Name,
  scopes: ClientScopes,
  allowed_ips: AllowedIps,
  token_ttl_seconds: TokenTtl,
  metadata: Metadata,
  rate_limit: RateLimit,
  status: Type.Union([Type.Literal('active'), Type.Literal('revoked')]),
  secrets: Type.Array(
    Type.Object({ id: Uuid, hint: Type.String(), created_at: Timestamp, expires_at: NullableTimestamp }),
  ),
  revoked_at: NullableTimestamp,
  last_used_at: NullableTimestamp,
  version: Type.Integer(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const IssuedClientSchema = Type.Object({
  ...OAuthClientSchema.properties,
  client_secret: Type.String({ description: 'The secret. Shown only in this response; store it now.' }),
});

export const SigningKeySchema = Type.Object({
  kid: Type.String(),
  algorithm: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('retired')]),
  created_at: Timestamp,
  retired_at: NullableTimestamp,
  unpublished_at: NullableTimestamp,
});
