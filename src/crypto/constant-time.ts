import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares two secrets in constant time. Both sides are hashed first so that inputs of different
 * length are compared without an early exit that would leak the length.
 */
export function safeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** Constant-time comparison of two digests that are already of fixed, equal length. */
export function digestsEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function digest(value: string | Uint8Array): Buffer {
  return createHash('sha256').update(value).digest();
}
