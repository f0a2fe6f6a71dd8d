import { randomBytes } from 'node:crypto';

/**
 * Request ids for the data path, cheaper than a random UUID per request: a random 80-bit prefix
 * per process (renewed when the counter wraps) and a 48-bit counter, laid out as a UUID with
 * version 8 (RFC 9562, custom layout). Unique across instances and restarts; not a secret.
 */
export function createRequestIds(): () => string {
  let prefix = '';
  let counter = 0;
  const renew = () => {
    const hex = randomBytes(10).toString('hex');
    const variant = ((Number.parseInt(hex[12] as string, 16) & 0x3) | 0x8).toString(16);
    prefix = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(16, 19)}-`;
    counter = 0;
  };
  renew();
  return () => {
    if (counter === 0xffffffffffff) renew();
    counter++;
    return prefix + counter.toString(16).padStart(12, '0');
  };
}
