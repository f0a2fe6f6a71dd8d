import { randomFillSync } from 'node:crypto';

let lastMs = 0;
let counter = 0;

// Random bits come from a pooled buffer refilled 256 ids at a time (as crypto.randomUUID does):
// one randomBytes call per id was a tenth of an audit append's and a token's CPU time.
const pool = Buffer.alloc(16 * 256);
let poolOffset = pool.length;
const scratch = Buffer.alloc(16);

/**
 * A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then a 12-bit counter that keeps ids created in the
 * same millisecond in creation order, then 62 random bits. Sorting by id sorts by creation time,
 * which is what cursor pagination relies on.
 */
export function uuid7(now = Date.now()): string {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const bytes = scratch;
  pool.copy(bytes, 0, poolOffset, poolOffset + 16);
  poolOffset += 16;
  if (now > lastMs) {
    lastMs = now;
    // Bytes 0–1 are overwritten by the time below, so they can seed the counter.
    counter = bytes.readUInt16BE(0) & 0x1ff;
  } else if (++counter > 0xfff) {
    lastMs += 1;
    counter = 0;
  }
  bytes.writeUIntBE(lastMs, 0, 6);
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | ((bytes[8] as number) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}
