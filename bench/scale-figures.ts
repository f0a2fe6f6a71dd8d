/**
 * The in-process figures of `bench/scale.ts`, run in a child with `--expose-gc`:
 *
 * - bytes per cached key: the heap (after a full GC) before and after filling the credential cache
 *   with 1,000,000 entries built the way a lookup builds them (`knownSecretOf`), each under its own
 *   SHA-256 cache key; the same for the negative cache.
 * - database lookups per distinct unknown key: the real `CredentialVerifier` on SQLite, sent each of
 *   20,000 random checksum-valid unknown keys 5 times, each round all at once.
 *
 * Reports `{ figures }` over IPC and exits.
 */
import { hash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCredential } from '../src/crypto/key-format.ts';
import { uuid7 } from '../src/db/uuid7.ts';
import { CredentialCache } from '../src/keys/credential-cache.ts';
import { type KnownSecret, knownSecretOf } from '../src/keys/known-secret.ts';
import { createLogger } from '../src/log/logger.ts';
import { loadConfig } from '../src/server/config.ts';
import { createServices } from '../src/server/services.ts';

const ENTRIES = Number(process.env.BENCH_CACHE_ENTRIES ?? 1_000_000);
const UNKNOWN_KEYS = 20_000;
const UNKNOWN_REPEATS = 5;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

function heapUsed(): number {
  for (let i = 0; i < 3; i++) gc?.();
  return process.memoryUsage().heapUsed;
}

function bytesPerKnownKey(): { bytes: number; heapMb: number } {
  const integrators = Array.from({ length: 10 }, () => uuid7(Date.now()));
  const before = heapUsed();
  const cache = new CredentialCache<KnownSecret>({ maxEntries: ENTRIES });
  const now = Date.now();
  for (let i = 0; i < ENTRIES; i++) {
    const row = {
      secret_expires_at: null,
      id: uuid7(now),
      integrator_id: integrators[i % integrators.length] as string,
      environment: 'sandbox',
      scopes_json: '["orders:read"]',
      allowed_ips_json: '[]',
      expires_at: null,
      revoked_at: null,
      rate_limit_json: null,
      usage_remaining: null,
      usage_refill_amount: null,
      usage_refill_interval: null,
      usage_refilled_at: null,
      integrator_status: 'active',
    };
    cache.set(hash('sha256', randomBytes(32), 'base64url'), knownSecretOf(row), now, cache.generation);
  }
  const after = heapUsed();
  if (cache.size !== ENTRIES) throw new Error(`the cache holds ${cache.size} of ${ENTRIES}`);
  return { bytes: (after - before) / ENTRIES, heapMb: after / 1e6 };
}

function bytesPerUnknownKey(): number {
  const entries = 100_000;
  const before = heapUsed();
  const cache = new CredentialCache<KnownSecret>({ maxNegativeEntries: entries });
  const now = Date.now();
  for (let i = 0; i < entries; i++)
    cache.set(hash('sha256', randomBytes(32), 'base64url'), null, now, cache.generation);
  const after = heapUsed();
  if (cache.unknownSize !== entries) throw new Error('the negative cache lost entries');
  return (after - before) / entries;
}

async function lookupsPerUnknownKey(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-scale-figures-'));
  const config = loadConfig({ GATEHOUSE_DATA_DIR: dir });
  const services = await createServices(config, createLogger({ level: 'silent' }));
  try {
    const unknown = Array.from({ length: UNKNOWN_KEYS }, () => generateCredential(config.keyPrefix, 'test'));
    const before = services.credentials.lookups;
    for (let round = 0; round < UNKNOWN_REPEATS; round++) {
      const answers = await Promise.all(
        unknown.map((secret) => services.credentials.verify(secret, { ip: '127.0.0.1' })),
      );
      if (answers.some((answer) => answer.ok || answer.reason !== 'unknown'))
        throw new Error('an unknown key was not refused as unknown');
    }
    return (services.credentials.lookups - before) / UNKNOWN_KEYS;
  } finally {
    await services.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const known = bytesPerKnownKey();
const figures = {
  cache_entries: ENTRIES,
  bytes_per_cached_key: Math.round(known.bytes),
  heap_mb_with_cache_full: Math.round(known.heapMb),
  bytes_per_unknown_key: Math.round(bytesPerUnknownKey()),
  db_reads_per_distinct_unknown_key: await lookupsPerUnknownKey(),
};
process.send?.({ figures });
process.exit(0);
