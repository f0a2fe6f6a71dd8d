import type { ErrorObject } from 'ajv';
import { redactSecrets } from '../log/redact-secrets.ts';
import type { FieldError } from './api-error.ts';

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
    const key = truncate(redactSecrets(`${prefix}${field}`));
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
