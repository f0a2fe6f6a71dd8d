import { Ajv, type ErrorObject, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { FieldError } from '../http/api-error.ts';
import { redactCredentials } from '../log/redact-credentials.ts';

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

/** Turns validator output into one entry per bad field, named by JSON pointer. */
export function fieldErrors(errors: readonly ErrorObject[], part: string | undefined): FieldError[] {
  const prefix = part === 'body' || part === undefined ? '' : `${part}:`;
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const error of errors) {
    let field = error.instancePath || '/';
    let message = error.message ?? 'is not valid';
    if (error.keyword === 'required') {
      field = `${error.instancePath}/${(error.params as { missingProperty: string }).missingProperty}`;
      message = 'is required';
    } else if (error.keyword === 'additionalProperties') {
      field = `${error.instancePath}/${(error.params as { additionalProperty: string }).additionalProperty}`;
      message = 'is not a known field';
    }
    const key = truncate(redactCredentials(`${prefix}${field}`));
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ field: key, message: truncate(message) });
    if (out.length >= 50) break;
  }
  return out;
}

function truncate(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
