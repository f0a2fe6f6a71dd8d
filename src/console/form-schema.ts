import type { ValidateFunction } from 'ajv';
import type { TSchema } from 'typebox';
import { isUuid } from '../db/uuid7.ts';
import { createAjv } from '../http/ajv.ts';
import { invalidRequest, notFound } from '../http/api-error.ts';
import { fieldErrors } from '../http/field-errors.ts';

const ajv = createAjv({ useDefaults: true, coerceTypes: false });

/**
 * A validator for what a form becomes, from the admin API's own body schema: the console accepts
 * exactly what the API accepts, and says which field is wrong in the same words.
 */
export function formValidator<T>(schema: TSchema): (input: unknown) => T {
  const validate: ValidateFunction = ajv.compile(schema as object);
  return (input) => {
    if (!validate(input))
      throw invalidRequest(fieldErrors(validate.errors ?? [], 'body'), 'The form is not valid');
    return input as T;
  };
}

/** A path id that names no resource is a 404 page, not a query. */
export function idParam(params: unknown, what: string): string {
  const id = (params as { id?: unknown }).id;
  if (typeof id !== 'string' || !isUuid(id)) throw notFound(what);
  return id;
}

/** A query-string parameter as one string (a repeated one is the first), or undefined. */
export function queryParam(query: unknown, name: string, maxLength = 200): string | undefined {
  const raw = (query as Record<string, unknown>)[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  // PostgreSQL refuses U+0000 in text: a search for it is a 400, not a failed query.
  if (typeof value === 'string' && value.includes('\u0000'))
    throw invalidRequest([{ field: `/${name}`, message: 'must not contain a NUL character' }]);
  return typeof value === 'string' && value !== '' ? value.slice(0, maxLength) : undefined;
}
