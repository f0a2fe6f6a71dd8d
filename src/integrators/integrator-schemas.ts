import Type from 'typebox';
import { Metadata, Timestamp, Uuid } from '../http/schemas.ts';

const Name = Type.String({ minLength: 1, maxLength: 200 });
const Email = Type.Union([Type.String({ format: 'email', maxLength: 320 }), Type.Null()]);
const Status = Type.Union([Type.Literal('active'), Type.Literal('disabled')], {
  description: 'disabled stops every credential of the integrator at once',
});

export const CreateIntegratorBody = Type.Object(
  {
    name: Name,
    email: Type.Optional(Email),
    status: Type.Optional(Status),
    metadata: Type.Optional(Metadata),
  },
  { additionalProperties: false },
);

export const ReplaceIntegratorBody = Type.Object(
  {
    name: Name,
    email: Email,
    status: Status,
    metadata: Metadata,
    id: Type.Optional(Type.Unknown()),
    version: Type.Optional(Type.Unknown()),
    created_at: Type.Optional(Type.Unknown()),
    updated_at: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);

/** Fixed at creation; a PUT may echo them back unchanged. `version` and `updated_at` are ignored. */
export const IMMUTABLE_INTEGRATOR_FIELDS = ['id', 'created_at'] as const;

export const IntegratorSchema = Type.Object({
  id: Uuid,
  name: Name,
  email: Email,
  status: Status,
  metadata: Metadata,
  version: Type.Integer(),
  created_at: Timestamp,
  updated_at: Timestamp,
});
