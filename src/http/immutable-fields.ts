import { isDeepStrictEqual } from 'node:util';
import { invalidRequest } from './api-error.ts';

/**
 * PUT takes the complete object, so a client may send back what it read. Immutable fields are
 * accepted when unchanged and refused when they try to change something that cannot change.
 */
export function assertImmutableUnchanged(
  body: Record<string, unknown>,
  current: Record<string, unknown>,
  fields: readonly string[],
): void {
  const errors = fields
    .filter((field) => field in body && !isDeepStrictEqual(body[field], current[field]))
    .map((field) => ({ field: `/${field}`, message: 'is fixed at creation and cannot be changed' }));
  if (errors.length > 0) throw invalidRequest(errors, 'The request tries to change fields fixed at creation');
}
