import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

/**
 * Bodies are validated strictly (a number is never silently turned into a string); query strings and
 * path parameters arrive as text, so they are coerced to the declared types.
 */
export function schemaCompiler(): FastifySchemaCompiler<unknown> {
  const common: Options = { allErrors: true, strict: false, useDefaults: true, removeAdditional: false };
  const body = addFormats.default(new Ajv({ ...common, coerceTypes: false }));
  const text = addFormats.default(new Ajv({ ...common, coerceTypes: 'array' }));
  return ({ schema, httpPart }) => (httpPart === 'body' ? body : text).compile(schema as object);
}
