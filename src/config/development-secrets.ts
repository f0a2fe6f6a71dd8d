import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Secret } from '../crypto/secret.ts';
import { ensurePrivateDir, restrictFile } from './private-files.ts';
import { reasonOf, StartupError } from './startup-error.ts';

/**
 * In development a fresh checkout must start without any setup, so the pepper and the encryption
 * key are generated once into the data directory (mode 0600) and reused on every later start.
 * Production mode never calls this: it requires both from the environment.
 */
export function loadDevelopmentSecrets(dataDir: string): { pepper: Secret; encryptionKeys: Secret } {
  try {
    return loadOrCreate(dataDir);
  } catch (error) {
    throw new StartupError(
      `cannot keep the development secrets in ${dataDir} (GATEHOUSE_DATA_DIR): ${reasonOf(error)}; set GATEHOUSE_DATA_DIR to a directory this user can write`,
      { cause: error },
    );
  }
}

function loadOrCreate(dataDir: string): { pepper: Secret; encryptionKeys: Secret } {
  const file = join(dataDir, 'development-secrets.json');
  if (!existsSync(file)) {
    ensurePrivateDir(dataDir);
    const generated = {
      pepper: randomBytes(32).toString('base64url'),
      encryption_keys: `1:${randomBytes(32).toString('base64')}`,
    };
    try {
      writeFileSync(file, `${JSON.stringify(generated, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      // Another process created it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  restrictFile(file);
  const stored = JSON.parse(readFileSync(file, 'utf8')) as { pepper: string; encryption_keys: string };
  return { pepper: new Secret(stored.pepper), encryptionKeys: new Secret(stored.encryption_keys) };
}
