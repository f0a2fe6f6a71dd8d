import { appendFileSync, createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Where a test run keeps what it must be able to inspect afterwards: every log line written by the
 * servers it started, and every secret it created. `test/run.ts` scans the first for the second.
 */
export const ARTIFACTS_DIR =
  process.env.GATEHOUSE_TEST_ARTIFACTS ?? join(tmpdir(), 'gatehouse-test-artifacts');
const LOG_DIR = join(ARTIFACTS_DIR, 'logs');
const SECRETS_FILE = join(ARTIFACTS_DIR, 'secrets.txt');
mkdirSync(LOG_DIR, { recursive: true });

/** Remembers a secret the run created, so the final scan can prove no log holds it. */
export function recordSecret(secret: string): string {
  appendFileSync(SECRETS_FILE, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/** A log file for one server started by a test. */
export function logFile(name: string): WriteStream {
  return createWriteStream(join(LOG_DIR, `${name}-${process.pid}-${Date.now()}.log`), { flags: 'a' });
}
