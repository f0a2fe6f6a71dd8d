/**
 * The JSON pointer of the first string (or object key) in `value` holding a NUL character, or
 * undefined. PostgreSQL text cannot store U+0000, so such a value must be refused as bad input
 * before it reaches a query, on every store alike.
 */
export function fieldWithNul(value: unknown, pointer = ''): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? pointer || '/' : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, item] of Object.entries(value)) {
    const path = `${pointer}/${key.replaceAll('\u0000', '').replaceAll('~', '~0').replaceAll('/', '~1')}`;
    if (key.includes('\u0000')) return path;
    const found = fieldWithNul(item, path);
    if (found !== undefined) return found;
  }
  return undefined;
}
