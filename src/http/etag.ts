import { ApiError } from './api-error.ts';

/** Strong entity tag for a resource version. */
export function etagOf(version: number): string {
  return `"v${version}"`;
}

/**
 * The version an `If-Match` header asks for: undefined when absent or `*` (no precondition), a
 * number for one entity tag. A list of tags or a malformed header is a 400.
 */
export function versionFromIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"v(\d{1,9})"\s*$/.exec(header);
  if (!match) {
    throw new ApiError('invalid_if_match', 'If-Match must be one entity tag from an ETag header, or *');
  }
  return Number(match[1]);
}

export const staleVersion = () =>
  new ApiError('precondition_failed', 'The resource changed since it was read; GET it again and retry');
