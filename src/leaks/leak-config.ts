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
  /** The code host's keys (`GATEHOUSE_SECRET_SCANNING_KEYS_FILE`), or null. */
  readonly codeHostKeys: readonly CodeHostKey[] | null;
  /** Where the code host publishes them (`GATEHOUSE_SECRET_SCANNING_KEYS_URL`), or null. */
  readonly codeHostKeysUrl: string | null;
  readonly policy: LeakPolicy;
}

const MAX_KEYS = 100;

/**
 * Reads `GATEHOUSE_SECRET_SCANNING_KEYS_FILE` — a file in the code host's own format,
 * `{"public_keys":[{"key_identifier","key","is_current"}]}` (GitHub serves it at
 * `https://api.github.com/meta/public_keys/secret_scanning`) — or `GATEHOUSE_SECRET_SCANNING_KEYS_URL`,
 * that document fetched and cached (`code-host-keys.ts`), and `GATEHOUSE_LEAK_POLICY`. Without
 * either, the receiver is off (404).
 */
export function readLeakConfig(read: EnvReader, cwd: string): LeakConfig {
  const policy = read.string('GATEHOUSE_LEAK_POLICY', 'revoke');
  if (policy !== 'revoke' && policy !== 'flag')
    read.problem(`GATEHOUSE_LEAK_POLICY must be revoke or flag (got "${policy}")`);
  const file = read.optionalString('GATEHOUSE_SECRET_SCANNING_KEYS_FILE');
  const url = read.optionalString('GATEHOUSE_SECRET_SCANNING_KEYS_URL');
  if (file !== undefined && url !== undefined)
    read.problem('set GATEHOUSE_SECRET_SCANNING_KEYS_FILE or GATEHOUSE_SECRET_SCANNING_KEYS_URL, not both');
  if (url !== undefined && !isHttpsUrl(url))
    // Not quoted: a URL refused for carrying user:password@ would print the password.
    read.problem('GATEHOUSE_SECRET_SCANNING_KEYS_URL must be an https:// URL without user:password@');
  return {
    codeHostKeys: file === undefined ? null : readKeyFile(read, resolve(cwd, file)),
    codeHostKeysUrl: url ?? null,
    policy: policy === 'flag' ? 'flag' : 'revoke',
  };
}

function isHttpsUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

function readKeyFile(read: EnvReader, path: string): CodeHostKey[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    read.problem(
      `GATEHOUSE_SECRET_SCANNING_KEYS_FILE (${path}) cannot be read (${(error as NodeJS.ErrnoException).code})`,
    );
    return [];
  }
  const parsed = parseKeyList(text);
  if (typeof parsed === 'string') read.problem(`GATEHOUSE_SECRET_SCANNING_KEYS_FILE (${path}) ${parsed}`);
  return typeof parsed === 'string' ? [] : parsed;
}

/**
 * A key list in the code host's format, or why it is not one. `skipUnusable` (the fetched list)
 * drops an entry that is not an ECDSA P-256 key instead of refusing the list: a code host may
 * publish a key of another kind beside its current one, and that must not stop every report.
 */
export function parseKeyList(text: string, options: { skipUnusable?: boolean } = {}): CodeHostKey[] | string {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return 'is not JSON';
  }
  const list = (document as { public_keys?: unknown } | null)?.public_keys;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_KEYS)
    return `must hold {"public_keys": [...]} with 1 to ${MAX_KEYS} keys`;
  const keys: CodeHostKey[] = [];
  for (const [index, entry] of list.entries()) {
    const problem = keyProblem(entry);
    if (problem === null) {
      const { key_identifier: id, key } = entry as { key_identifier: string; key: string };
      keys.push(Object.freeze({ id, pem: key }));
    } else if (!options.skipUnusable) return `key ${index} ${problem}`;
  }
  return keys.length > 0 ? keys : 'holds no ECDSA P-256 key';
}

function keyProblem(entry: unknown): string | null {
  const { key_identifier: id, key } = (entry ?? {}) as { key_identifier?: unknown; key?: unknown };
  if (typeof id !== 'string' || id.length === 0 || id.length > 256 || typeof key !== 'string')
    return 'needs a key_identifier and a PEM key';
  try {
    const parsed = createPublicKey(key);
    if (parsed.asymmetricKeyType !== 'ec' || parsed.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
      return 'is not an ECDSA P-256 key';
  } catch {
    return 'is not a PEM public key';
  }
  return null;
}
