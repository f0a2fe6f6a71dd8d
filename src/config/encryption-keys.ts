import { createKeyring, type Keyring } from '../crypto/envelope.ts';
import type { Secret } from '../crypto/secret.ts';
import type { EnvReader } from './env-reader.ts';

/**
 * Parses `GATEHOUSE_ENCRYPTION_KEYS`: comma-separated `<id>:<base64 of 32 bytes>`. The highest id
 * seals new values; lower ids stay to open what they sealed until it is re-wrapped.
 */
export function parseEncryptionKeys(value: Secret, read: EnvReader): Keyring | undefined {
  const keys = new Map<number, Buffer>();
  for (const [index, entry] of value.reveal().split(',').entries()) {
    const match = /^\s*(\d{1,5}):([A-Za-z0-9+/_-]+={0,2})\s*$/.exec(entry);
    const id = Number(match?.[1]);
    const bytes = Buffer.from(match?.[2] ?? '', 'base64');
    if (!match || id < 1 || id > 65535 || bytes.length !== 32 || keys.has(id)) {
      read.problem(
        `GATEHOUSE_ENCRYPTION_KEYS entry ${index + 1} must be "<id 1-65535>:<base64 of exactly 32 bytes>" with a unique id`,
      );
      continue;
    }
    keys.set(id, bytes);
  }
  return read.problems.length === 0 && keys.size > 0 ? createKeyring(keys) : undefined;
}
