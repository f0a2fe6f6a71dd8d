import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { EnvReader } from '../config/env-reader.ts';

/** One of a code host's public keys for signing leak reports, as its key list names it. */
export interface CodeHostKey {
  readonly id: string;
  /** SPKI PEM of an ECDSA P-256 key (kept as text: the configuration crosses to the data thread). */
  readonly pem: string;
}

/** What leaked credentials get: revoked at once (the default), or only flagged (event and alert). */
export type LeakPolicy = 'revoke' | 'flag';

export interface LeakConfig {
  /** The code host's keys (`GATEHOUSE_SECRET_SCANNING_KEYS_FILE`); null: the receiver is off (404). */
  readonly codeHostKeys: readonly CodeHostKey[] | null;
  readonly policy: LeakPolicy;
}

const MAX_KEYS = 100;

/**
 * Reads `GATEHOUSE_SECRET_SCANNING_KEYS_FILE` — a file in the code host's own format,
 * `{"public_keys":[{"key_identifier","key","is_current"}]}` (GitHub serves it at
 * `https://api.github.com/meta/public_keys/secret_scanning`) — and `GATEHOUSE_LEAK_POLICY`.
 */
export function readLeakConfig(read: EnvReader, cwd: string): LeakConfig {
  const policy = read.string('GATEHOUSE_LEAK_POLICY', 'revoke');
  if (policy !== 'revoke' && policy !== 'flag')
    read.problem(`GATEHOUSE_LEAK_POLICY must be revoke or flag (got "${policy}")`);
  const file = read.optionalString('GATEHOUSE_SECRET_SCANNING_KEYS_FILE');
  return {
    codeHostKeys: file === undefined ? null : readKeyList(read, resolve(cwd, file)),
    policy: policy === 'flag' ? 'flag' : 'revoke',
  };
}

function readKeyList(read: EnvReader, path: string): CodeHostKey[] {
  const refuse = (why: string): CodeHostKey[] => {
    read.problem(`GATEHOUSE_SECRET_SCANNING_KEYS_FILE (${path}) ${why}`);
    return [];
  };
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return refuse(code === undefined ? 'is not JSON' : `cannot be read (${code})`);
  }
  const list = (document as { public_keys?: unknown } | null)?.public_keys;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_KEYS)
    return refuse(`must hold {"public_keys": [...]} with 1 to ${MAX_KEYS} keys`);
  const keys: CodeHostKey[] = [];
  for (const [index, entry] of list.entries()) {
    const { key_identifier: id, key } = (entry ?? {}) as { key_identifier?: unknown; key?: unknown };
    if (typeof id !== 'string' || id.length === 0 || id.length > 256 || typeof key !== 'string')
      return refuse(`key ${index} needs a key_identifier and a PEM key`);
    try {
      const parsed = createPublicKey(key);
      if (parsed.asymmetricKeyType !== 'ec' || parsed.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
        return refuse(`key ${index} is not an ECDSA P-256 key`);
    } catch {
      return refuse(`key ${index} is not a PEM public key`);
    }
    keys.push(Object.freeze({ id, pem: key }));
  }
  return keys;
}
