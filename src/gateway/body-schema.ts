import { isUtf8 } from 'node:buffer';
import type { Ajv, ValidateFunction } from 'ajv';
import { createAjv } from '../http/ajv.ts';
import type { FieldError } from '../http/api-error.ts';
import { fieldErrors } from '../http/field-errors.ts';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from '../http/json-depth.ts';

/** What a route's body schema says of one request body. */
export type BodyVerdict =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly code: 'malformed_json' | 'validation_failed';
      readonly detail: string;
      readonly errors?: readonly FieldError[];
    };

/** Checks a complete request body (the raw bytes, as they will be forwarded). */
export type BodyValidator = (body: Buffer) => BodyVerdict;

const VALID: BodyVerdict = Object.freeze({ ok: true });
const EMPTY: BodyVerdict = Object.freeze({
  ok: false,
  code: 'malformed_json',
  detail: 'The body is empty; send a JSON document',
});
const MALFORMED: BodyVerdict = Object.freeze({
  ok: false,
  code: 'malformed_json',
  detail: 'The body is not valid JSON',
});
const TOO_DEEP: BodyVerdict = Object.freeze({
  ok: false,
  code: 'malformed_json',
  detail: `The body nests deeper than ${MAX_JSON_DEPTH} levels`,
});

/**
 * A route's `body_schema` (T4): JSON Schema (draft-07, standard formats), applied as written —
 * no defaults filled in, no types coerced, so the upstream receives exactly the bytes that were
 * checked. Each schema gets a validator instance of its own, so `$id`s never clash between routes.
 */
export function compileBodySchema(schema: Readonly<Record<string, unknown>>): BodyValidator {
  const validate = newValidator().compile(structuredClone(schema) as Record<string, unknown>);
  return (body) => verdictOf(validate, body);
}

/** Why `schema` cannot serve as a body schema, or null: for the gateway file's checks at start. */
export function bodySchemaProblem(schema: unknown): string | null {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema))
    return 'must be a JSON Schema object (inline, or the path of a .json file)';
  const ajv = newValidator();
  if (!ajv.validateSchema(schema)) {
    const [first] = ajv.errors ?? [];
    return `is not a valid JSON Schema: ${first?.instancePath || '/'} ${first?.message ?? 'is invalid'}`;
  }
  try {
    ajv.compile(structuredClone(schema) as Record<string, unknown>);
  } catch (error) {
    return `cannot be compiled: ${(error as Error).message}`;
  }
  return null;
}

/** `application/json` or any `…+json` type, parameters allowed (C1). */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semicolon = contentType.indexOf(';');
  const type = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

function newValidator(): Ajv {
  return createAjv();
}

function verdictOf(validate: ValidateFunction, body: Buffer): BodyVerdict {
  // JSON is UTF-8 (RFC 8259); decoding other bytes would check a document the upstream never gets.
  if (!isUtf8(body)) return MALFORMED;
  const text = body.toString('utf8');
  if (text.trim() === '') return EMPTY;
  if (exceedsJsonDepth(text)) return TOO_DEEP;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return MALFORMED;
  }
  if (validate(value)) return VALID;
  return {
    ok: false,
    code: 'validation_failed',
    detail: 'The body does not match the schema of this endpoint',
    errors: fieldErrors(validate.errors ?? [], 'body'),
  };
}
