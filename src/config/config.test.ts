import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import { loadConfig } from '../server/config.ts';
import { ConfigError } from './config.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'gatehouse-config-'));
const strong = () => randomBytes(32).toString('base64url');
const keyEntry = (id: number) => `${id}:${randomBytes(32).toString('base64')}`;

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return [...error.problems];
  }
  assert.fail('expected the configuration to be refused');
}

describe('configuration', () => {
  it('development starts with nothing set, generating secrets once into the data directory (0600)', () => {
    const dataDir = dir();
    const first = loadConfig({ GATEHOUSE_DATA_DIR: dataDir });
    const second = loadConfig({ GATEHOUSE_DATA_DIR: dataDir });
    assert.equal(first.mode, 'development');
    assert.equal(first.data.port, 8443);
    assert.equal(first.admin.port, 9443);
    assert.equal(first.admin.host, '127.0.0.1');
    assert.equal(first.pepper.reveal(), second.pepper.reveal());
    assert.equal(statSync(join(dataDir, 'development-secrets.json')).mode & 0o777, 0o600);
    assert.ok(Object.isFrozen(first));
  });

  it('production refuses to start without TLS, pepper and encryption keys, naming each variable', () => {
    const problems = problemsOf({ GATEHOUSE_ENV: 'production', GATEHOUSE_DATA_DIR: dir() }).join('\n');
    for (const name of ['GATEHOUSE_TLS_CERT_FILE', 'GATEHOUSE_PEPPER', 'GATEHOUSE_ENCRYPTION_KEYS'])
      assert.match(problems, new RegExp(name));
  });

  it('production refuses short and placeholder secrets', () => {
    const base = {
      GATEHOUSE_ENV: 'production',
      GATEHOUSE_DATA_DIR: dir(),
      GATEHOUSE_TLS_CERT_FILE: '/c.pem',
      GATEHOUSE_TLS_KEY_FILE: '/k.pem',
      GATEHOUSE_ENCRYPTION_KEYS: keyEntry(1),
    };
    assert.match(
      problemsOf({ ...base, GATEHOUSE_PEPPER: 'short' }).join(),
      /GATEHOUSE_PEPPER must be at least 32/,
    );
    assert.match(
      problemsOf({ ...base, GATEHOUSE_PEPPER: 'changeme-changeme-changeme-changeme' }).join(),
      /GATEHOUSE_PEPPER looks like a placeholder/,
    );
    assert.match(
      problemsOf({ ...base, GATEHOUSE_PEPPER: strong(), GATEHOUSE_ADMIN_TOKEN: 'x'.repeat(40) }).join(),
      /GATEHOUSE_ADMIN_TOKEN looks like a placeholder/,
    );
    assert.equal(loadConfig({ ...base, GATEHOUSE_PEPPER: strong() }).mode, 'production');
  });

  it('reads secrets from NAME_FILE, refuses both forms at once, and never prints them', () => {
    const dataDir = dir();
    const pepper = strong();
    const file = join(dataDir, 'pepper');
    writeFileSync(file, `${pepper}\n`);
    const config = loadConfig({ GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_PEPPER_FILE: file });
    assert.equal(config.pepper.reveal(), pepper);
    assert.ok(!inspect(config, { depth: 5 }).includes(pepper));
    assert.ok(!JSON.stringify(config).includes(pepper));
    assert.match(
      problemsOf({
        GATEHOUSE_DATA_DIR: dataDir,
        GATEHOUSE_PEPPER: pepper,
        GATEHOUSE_PEPPER_FILE: file,
      }).join(),
      /either GATEHOUSE_PEPPER or GATEHOUSE_PEPPER_FILE/,
    );
    assert.match(
      problemsOf({ GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_PEPPER_FILE: join(dataDir, 'missing') }).join(),
      /GATEHOUSE_PEPPER_FILE cannot be read/,
    );
  });

  it('a wrong value names the variable and what is allowed', () => {
    const problems = problemsOf({
      GATEHOUSE_DATA_DIR: dir(),
      GATEHOUSE_PORT: '99999',
      GATEHOUSE_ENV: 'staging',
      GATEHOUSE_KEY_PREFIX: 'Bad_Prefix',
      GATEHOUSE_TLS_CERT_FILE: '/only-cert.pem',
      GATEHOUSE_LOG_LEVEL: 'loud',
    }).join('\n');
    assert.match(problems, /GATEHOUSE_PORT must be an integer from 0 to 65535/);
    assert.match(problems, /GATEHOUSE_ENV must be one of development, production/);
    assert.match(problems, /GATEHOUSE_KEY_PREFIX/);
    assert.match(problems, /GATEHOUSE_TLS_CERT_FILE and GATEHOUSE_TLS_KEY_FILE together/);
    assert.match(problems, /GATEHOUSE_LOG_LEVEL/);
  });

  it('encryption keys: several versions, the highest id seals; malformed entries are refused', () => {
    const config = loadConfig({
      GATEHOUSE_DATA_DIR: dir(),
      GATEHOUSE_ENCRYPTION_KEYS: `${keyEntry(1)},${keyEntry(3)},${keyEntry(2)}`,
    });
    assert.equal(config.keyring.currentId, 3);
    assert.equal(config.keyring.keys.size, 3);
    for (const bad of [
      '1:short',
      `0:${randomBytes(32).toString('base64')}`,
      `${keyEntry(1)},${keyEntry(1).replace(/^1/, '1')}`,
      'nonsense',
    ]) {
      assert.match(
        problemsOf({ GATEHOUSE_DATA_DIR: dir(), GATEHOUSE_ENCRYPTION_KEYS: bad }).join(),
        /GATEHOUSE_ENCRYPTION_KEYS entry/,
      );
    }
  });

  it('the generated development secrets file holds what the config uses', () => {
    const dataDir = dir();
    const config = loadConfig({ GATEHOUSE_DATA_DIR: dataDir });
    const stored = JSON.parse(readFileSync(join(dataDir, 'development-secrets.json'), 'utf8'));
    assert.equal(stored.pepper, config.pepper.reveal());
  });
});
