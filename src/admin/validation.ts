import type { FastifySchemaCompiler } from 'fastify';
import { createAjv } from '../http/ajv.ts';

/**
 * Bodies are validated strictly (a number is never silently turned into a string); query strings and
 * path parameters arrive as text, so they are coerced to the declared types.
 */
export function schemaCompiler(): FastifySchemaCompiler<unknown> {
  const body = createAjv({ useDefaults: true, coerceTypes: false });
  const text = createAjv({ useDefaults: true, coerceTypes: 'array' });
  return ({ schema, httpPart }) => (httpPart === 'body' ? body : text).compile(schema as object);
}
