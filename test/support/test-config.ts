import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCredential } from '../../src/crypto/key-format.ts';
import { type Config, loadConfig } from '../../src/server/config.ts';
import { recordSecret } from './artifacts.ts';

export interface TestEnvironment {
  readonly env: Record<string, string>;
  readonly dataDir: string;
  readonly ownerToken: string;
}

/**
 * The environment of a fresh test deployment: its own data directory, ephemeral ports on loopback
 * and newly generated secrets (recorded for the leak scan). `overrides` win.
 */
export function testEnvironment(overrides: Record<string, string> = {}): TestEnvironment {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
  const ownerToken = recordSecret(generateCredential('gate', 'admin'));
  const pepper = recordSecret(randomBytes(32).toString('base64url'));
  const encryptionKey = recordSecret(randomBytes(32).toString('base64'));
  const env = {
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_PORT: '0',
    GATEHOUSE_HOST: '127.0.0.1',
    GATEHOUSE_ADMIN_PORT: '0',
    GATEHOUSE_ADMIN_TOKEN: ownerToken,
    GATEHOUSE_PEPPER: pepper,
    GATEHOUSE_ENCRYPTION_KEYS: `1:${encryptionKey}`,
    GATEHOUSE_LOG_LEVEL: 'debug',
    ...overrides,
  };
  return { env, dataDir, ownerToken };
}

export function testConfig(overrides: Record<string, string> = {}): Config & { readonly ownerToken: string } {
  const { env, ownerToken } = testEnvironment(overrides);
  return Object.freeze({ ...loadConfig(env), ownerToken });
}
