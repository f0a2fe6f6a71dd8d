import Type from 'typebox';

/** Schema pieces shared by every admin resource. */
export const Uuid = Type.String({ format: 'uuid', maxLength: 36 });
export const IdParams = Type.Object({ id: Uuid }, { additionalProperties: false });
export const Timestamp = Type.String({ format: 'date-time', maxLength: 40 });
export const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);
export const Environment = Type.Union([Type.Literal('production'), Type.Literal('sandbox')]);
export const Metadata = Type.Record(Type.String({ maxLength: 100 }), Type.Unknown(), {
  maxProperties: 50,
  description: 'Free-form JSON for your own use; at most 50 fields and 16 KiB',
});
export const MAX_METADATA_BYTES = 16 * 1024;

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: 'Stable machine-readable error code' }),
    detail: Type.String(),
    request_id: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details' },
);

export const pageSchema = <T extends Type.TSchema>(item: T) =>
  Type.Object({ data: Type.Array(item), next_cursor: Type.Union([Type.String(), Type.Null()]) });

/** Adds the problem+json error responses to a route's documented responses. */
export function withProblems<T extends Record<number, Type.TSchema>>(responses: T) {
  const problem = Type.Ref('Problem');
  return { ...responses, '4xx': problem, '5xx': problem };
}
