import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { AlertConfig } from '../alerts/alert-config.ts';
import type { BaseConfig } from '../config/config.ts';
import { configSource } from '../config/config.ts';
import { EnvReader, looksLikePlaceholder } from '../config/env-reader.ts';
import type { RetentionConfig, RetentionPeriods } from '../retention/retention-config.ts';
import { type CertificateFact, inspectCertificate } from './certificate-fact.ts';
import type { OpsConfig } from './ops-config.ts';
import { type LoggerFactory, redactionLeaks } from './redaction-canary.ts';

/** Where a secret setting came from; `generated` is development's own pepper or key. */
export type SecretSource = 'environment' | 'file' | 'generated' | 'absent';

export interface SecretFact {
  readonly name: string;
  readonly source: SecretSource;
  readonly placeholder: boolean;
}

/** What the checklist reads off a deployment's configuration, without asking the server. */
export interface ConfigFacts {
  readonly mode: BaseConfig['mode'];
  readonly secrets: readonly SecretFact[];
  readonly certificate: CertificateFact;
  readonly adminHost: string;
  /** Each file or directory under the data directory that others may read, with its mode. */
  readonly exposedDataFiles: readonly string[];
  /** `NODE_TLS_REJECT_UNAUTHORIZED=0` in the environment: Node then trusts any certificate. */
  readonly certificateValidationDisabled: boolean;
  /** Where a canary credential logged through the real logger came out unredacted. */
  readonly redactionLeaks: readonly string[];
  readonly retention: RetentionPeriods;
  readonly rotationAgeMs: number;
  readonly database: 'sqlite' | 'postgres';
  readonly redis: boolean;
  /** `GATEHOUSE_INSTANCES`: how many instances the operator says share this deployment. */
  readonly declaredInstances: number;
}

/** The parts of the configuration the checklist reads. */
export interface ChecklistConfig extends BaseConfig {
  readonly retention: Pick<RetentionConfig, 'periods'>;
  readonly alerts: Pick<AlertConfig, 'rotationAgeMs'>;
  readonly ops: OpsConfig;
}

const SECRET_SETTINGS = ['GATEHOUSE_PEPPER', 'GATEHOUSE_ENCRYPTION_KEYS', 'GATEHOUSE_ADMIN_TOKEN'] as const;

/** Reads the facts of a loaded configuration; `createLogger` is the logger the server really uses. */
export async function configFacts(
  config: ChecklistConfig,
  createLogger: LoggerFactory,
): Promise<ConfigFacts> {
  const { env } = configSource(config);
  return {
    mode: config.mode,
    secrets: SECRET_SETTINGS.map((name) => secretFact(name, env)),
    certificate: await inspectCertificate(config.tls),
    adminHost: config.admin.host,
    exposedDataFiles: exposedFiles(config.dataDir),
    certificateValidationDisabled: env.NODE_TLS_REJECT_UNAUTHORIZED?.trim() === '0',
    redactionLeaks: redactionLeaks(createLogger, config.keyPrefix),
    retention: config.retention.periods,
    rotationAgeMs: config.alerts.rotationAgeMs,
    database: config.databaseUrl === null ? 'sqlite' : 'postgres',
    redis: config.redisUrl !== null,
    declaredInstances: config.ops.declaredInstances,
  };
}

function secretFact(name: string, env: Readonly<Record<string, string | undefined>>): SecretFact {
  const direct = env[name];
  if (direct !== undefined && direct.trim() !== '') {
    return { name, source: 'environment', placeholder: isPlaceholder(name, direct) };
  }
  if (env[`${name}_FILE`]?.trim()) {
    // The file's content, read as the configuration read it: a copied example is one in a file too.
    const value = new EnvReader(env).secret(name)?.reveal();
    return { name, source: 'file', placeholder: value !== undefined && isPlaceholder(name, value) };
  }
  // Without them the pepper and encryption keys are generated (development only); an owner token
  // is generated at first start and shown once, which is as good as a configured one.
  return { name, source: name === 'GATEHOUSE_ADMIN_TOKEN' ? 'absent' : 'generated', placeholder: false };
}

function isPlaceholder(name: string, value: string): boolean {
  if (name !== 'GATEHOUSE_ENCRYPTION_KEYS') return looksLikePlaceholder(value);
  return value.split(',').some((entry) => looksLikePlaceholder(entry.slice(entry.indexOf(':') + 1)));
}

/** The data directory, its files and its `tls/` folder: each must be readable by its owner only. */
function exposedFiles(dataDir: string): string[] {
  const exposed: string[] = [];
  const visit = (path: string, depth: number) => {
    let stats: ReturnType<typeof statSync>;
    try {
      stats = statSync(path);
    } catch {
      return;
    }
    if ((stats.mode & 0o077) !== 0) exposed.push(`${path} (mode ${(stats.mode & 0o777).toString(8)})`);
    if (!stats.isDirectory() || depth > 1) return;
    let names: string[];
    try {
      names = readdirSync(path);
    } catch {
      return; // a folder this user may not list (a mount's lost+found): nothing in it is ours
    }
    for (const name of names) visit(join(path, name), depth + 1);
  };
  if (process.platform !== 'win32') visit(dataDir, 0);
  return exposed;
}
