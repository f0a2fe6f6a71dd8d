import { AdminTokenService } from '../admin/admin-token-service.ts';
import { AuditLog } from '../audit/audit-log.ts';
import type { Config } from '../config/config.ts';
import { createEnvelope, type Envelope } from '../crypto/envelope.ts';
import { createKeyedHasher, deriveKey } from '../crypto/keyed-hash.ts';
import { type Database, openDatabase } from '../db/database.ts';
import { type ChangeBus, createLocalChangeBus } from '../events/change-bus.ts';
import { IntegratorService } from '../integrators/integrator-service.ts';
import { KeyService } from '../keys/key-service.ts';
import { CredentialVerifier } from '../keys/verify-credential.ts';
import type { Logger } from '../log/logger.ts';
import { SecurityEvents } from '../monitor/security-events.ts';

/** Everything the listeners and the CLI work with, wired once (the composition root). */
export interface Services {
  readonly config: Config;
  readonly logger: Logger;
  readonly database: Database;
  readonly envelope: Envelope;
  readonly changes: ChangeBus;
  readonly audit: AuditLog;
  readonly integrators: IntegratorService;
  readonly keys: KeyService;
  readonly credentials: CredentialVerifier;
  readonly adminTokens: AdminTokenService;
  readonly securityEvents: SecurityEvents;
  close(): Promise<void>;
}

export async function createServices(config: Config, logger: Logger): Promise<Services> {
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  const { db } = database;
  const changes = createLocalChangeBus();
  const audit = new AuditLog(database.dialect, deriveKey(config.pepper, 'audit-chain'));
  const hasher = createKeyedHasher(config.pepper, 'credential-hash');
  const keyPrefix = config.keyPrefix;
  return {
    config,
    logger,
    database,
    envelope: createEnvelope(config.keyring),
    changes,
    audit,
    integrators: new IntegratorService({ db, audit, changes }),
    keys: new KeyService({ db, audit, changes, hasher, keyPrefix }),
    credentials: new CredentialVerifier({
      db,
      hasher,
      keyPrefix,
      changes,
      cacheTtlMs: config.credentialCacheTtlMs,
      logger,
    }),
    adminTokens: new AdminTokenService({ db, audit, changes, hasher, keyPrefix }),
    securityEvents: new SecurityEvents(db, logger),
    async close() {
      await changes.close();
      await database.close();
    },
  };
}
