import { createHmac, type KeyObject } from 'node:crypto';
import { digestsEqual } from '../crypto/constant-time.ts';

/**
 * The `simple` scheme for receivers built the GitHub way: the lower-case hex HMAC-SHA256 of the raw
 * body in one header whose name the endpoint chooses. It signs neither id nor timestamp, so it cannot
 * stop replays; prefer the standard scheme. While a rotation's overlap runs the header carries one
 * signature per active secret, separated by ", " (how HTTP joins repeated header values).
 */
export function signSimple(key: KeyObject, body: Uint8Array | string): string {
  return createHmac('sha256', key).update(body).digest('hex');
}

/** Whether any of the header's comma-separated hex signatures is the body's HMAC under one of `keys`. */
export function verifySimpleSignature(
  body: Uint8Array | string,
  header: string,
  keys: readonly KeyObject[],
): boolean {
  for (const value of header.split(',')) {
    const candidate = value.trim();
    if (!/^[0-9a-f]{64}$/.test(candidate)) continue;
    const given = Buffer.from(candidate, 'hex');
    for (const key of keys) {
      if (digestsEqual(given, createHmac('sha256', key).update(body).digest())) return true;
    }
  }
  return false;
}
