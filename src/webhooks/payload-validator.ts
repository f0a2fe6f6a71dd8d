import type { ValidateFunction } from 'ajv';
import { BoundedCache } from '../cache/bounded-cache.ts';
import { createAjv } from '../http/ajv.ts';
import { type FieldError, invalidRequest } from '../http/api-error.ts';
import { fieldErrors } from '../http/field-errors.ts';

const MAX_SCHEMA_BYTES = 64 * 1024;
const CACHE_SIZE = 500;

/**
 * Compiles event type schemas (JSON Schema draft-07, with the standard formats) and validates event
 * data against them. Compiled validators are kept per event type version, so a schema is compiled
 * once per change, not once per event. Validation never changes the data (no defaults, no coercion).
 */
export class PayloadValidator {
  readonly #ajv = createAjv();
  // Ajv keeps every schema it compiled until told to forget it; an evicted validator must go from both.
  readonly #compiled = new BoundedCache<string, ValidateFunction>(CACHE_SIZE, {
    onEvict: (_key, validate) => {
      if (typeof validate.schema === 'object') this.#ajv.removeSchema(validate.schema);
    },
  });

  /** Throws a 400 naming `/schema` when `schema` is not a usable JSON Schema. */
  assertValidSchema(schema: Record<string, unknown>): void {
    const errors: FieldError[] = [];
    if (Buffer.byteLength(JSON.stringify(schema)) > MAX_SCHEMA_BYTES) {
      errors.push({ field: '/schema', message: `must serialize to at most ${MAX_SCHEMA_BYTES} bytes` });
    } else if (!this.#ajv.validateSchema(schema)) {
      for (const error of fieldErrors(this.#ajv.errors ?? [], 'body'))
        errors.push({ field: `/schema${error.field === '/' ? '' : error.field}`, message: error.message });
    } else {
      try {
        const probe = withoutId(schema);
        this.#ajv.compile(probe);
        this.#ajv.removeSchema(probe);
      } catch (error) {
        errors.push({ field: '/schema', message: truncate((error as Error).message) });
      }
    }
    if (errors.length > 0) throw invalidRequest(errors, 'The schema is not a valid JSON Schema');
  }

  /** Field errors under `/data` for data that does not match, or an empty list. */
  check(cacheKey: string, schemaJson: string, data: unknown): FieldError[] {
    const validate =
      this.#compiled.get(cacheKey) ??
      this.#compiled.set(
        cacheKey,
        this.#ajv.compile(withoutId(JSON.parse(schemaJson) as Record<string, unknown>)),
      );
    if (validate(data)) return [];
    return fieldErrors(validate.errors ?? [], 'body').map((error) => ({
      field: `/data${error.field === '/' ? '' : error.field}`,
      message: error.message,
    }));
  }
}

/** Ajv refuses to compile two schemas with the same `$id`; ours are keyed by event type instead. */
function withoutId(schema: Record<string, unknown>): Record<string, unknown> {
  const { $id: _id, ...rest } = schema;
  return rest;
}

function truncate(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
