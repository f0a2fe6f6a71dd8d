import { AdminTokenService } from '../admin/admin-token-service.ts';
import type { AlertService } from '../alerts/alert-service.ts';
import { type AlertSinks, createAlertService, createAlertSinks } from '../alerts/alerts.ts';
import { AuditLog } from '../audit/audit-log.ts';
import { CheckpointScheduler } from '../audit/checkpoint-scheduler.ts';
import { createEnvelope, type Envelope } from '../crypto/envelope.ts';
import { createKeyedHasher, deriveKey } from '../crypto/keyed-hash.ts';
import { type Database, openDatabase } from '../db/database.ts';
import { connectRedis, type Redis } from '../db/redis.ts';
import { type ChangeBus, createLocalChangeBus } from '../events/change-bus.ts';
import { withChangeGenerations } from '../events/change-generation.ts';
import { createRedisChangeBus } from '../events/redis-change-bus.ts';
import { createThreadChangeBus } from '../events/thread-change-bus.ts';
import { BulkActions } from '../incidents/bulk-actions.ts';
import { IncidentService } from '../incidents/incident-service.ts';
import { IntegratorService } from '../integrators/integrator-service.ts';
import type { CredentialCacheLimits } from '../keys/credential-cache.ts';
import { KeyService } from '../keys/key-service.ts';
import { CredentialVerifier } from '../keys/verify-credential.ts';
import { LeakedCredentials } from '../leaks/leaked-credentials.ts';
import type { Logger } from '../log/logger.ts';
import { SecurityEvents } from '../monitor/security-events.ts';
import { createOAuth, type OAuth } from '../oauth/oauth.ts';
import type { RetentionJob } from '../retention/retention-job.ts';
import { CredentialTimeline } from '../timeline/credential-timeline.ts';
import { UsageStore } from '../usage/usage-store.ts';
import { createIntegratorNotifier } from '../webhooks/integrator-notifier.ts';
import { createWebhooks, type Webhooks } from '../webhooks/webhooks.ts';
import type { Config } from './config.ts';
import { incidentAttachments, incidentSources } from './incident-sources.ts';
import { leakLookups } from './leak-lookups.ts';
import { MIGRATIONS } from './migrations.ts';
import { createRetentionJob } from './retention.ts';

/**
 * What the data path works with (`data-path.ts`): storage, the change bus, credentials and OAuth.
 * The data path's thread builds only these (`createDataPathServices`).
 */
export interface DataPathServices {
  readonly config: Config;
  readonly logger: Logger;
  readonly database: Database;
  /** Set when `GATEHOUSE_REDIS_URL` is: shared rate limits and the cross-instance change bus. */
  readonly redis: Redis | null;
  readonly envelope: Envelope;
  readonly changes: ChangeBus;
  readonly audit: AuditLog;
  readonly keys: KeyService;
  readonly credentials: CredentialVerifier;
  readonly adminTokens: AdminTokenService;
  readonly securityEvents: SecurityEvents;
  readonly alerts: AlertService;
  readonly oauth: OAuth;
  /** Finds and answers leaked credentials: `scan --check|--revoke` and code hosts' reports. */
  readonly leaks: LeakedCredentials;
  close(): Promise<void>;
}

/** Everything the listeners and the CLI work with, wired once (the composition root). */
export interface Services extends DataPathServices {
  readonly integrators: IntegratorService;
  /** `close` may be called before `Services.close`, which then does not close them again. */
  readonly webhooks: Webhooks;
  readonly alertSinks: AlertSinks;
  /** Signs the audit chain head periodically (started by `gatehouse.ts`). */
  readonly auditCheckpoints: CheckpointScheduler;
  /** Purges each data class past its retention period (started by `gatehouse.ts`; `gatehouse purge`). */
  readonly retention: RetentionJob;
  /** Incident records (L7) and the bulk rotations and revocations taken under them or alone (L6). */
  readonly incidents: IncidentService;
  readonly bulkActions: BulkActions;
  /** Usage records as the admin API reads them (the data path writes them). */
  readonly usage: UsageStore;
  /** A credential's timeline (L6): usage, addresses, events, alerts and admin actions. */
  readonly timeline: CredentialTimeline;
}

export interface ServicesOptions {
  /**
   * Without Redis, the name of the channel over which this instance's threads share announcements
   * (`thread-change-bus.ts`); without either, changes reach this thread only.
   */
  readonly changeChannel?: string;
}

/** The services of the main thread and the CLI: the data path's, the integrators and webhooks. */
export async function createServices(
  config: Config,
  logger: Logger,
  options: ServicesOptions = {},
): Promise<Services> {
  const core = await createDataPathServices(config, logger, options);
  const { database, audit, changes, envelope, securityEvents } = core;
  const built = createWebhooks({
    config: config.webhooks,
    database,
    audit,
    envelope,
    securityEvents,
    logger,
  });
  // Closed once, whoever asks first: `gatehouse.ts` stops deliveries before the data path drains.
  let webhooksClosing: Promise<void> | undefined;
  const webhooks: Webhooks = { ...built, close: () => (webhooksClosing ??= built.close()) };
  const alertSinks = createAlertSinks(
    { config, database, audit, envelope, securityEvents, logger },
    core.alerts,
  );
  const auditCheckpoints = new CheckpointScheduler({
    db: database.db,
    checkpoints: audit.checkpoints,
    intervalMs: config.audit.checkpointIntervalMs,
    logger: logger.child({ component: 'audit' }),
  });
  const retention = createRetentionJob({ config: config.retention, database, audit, logger });
  const credentialServices = {
    keys: core.keys,
    clients: core.oauth.clients,
    endpoints: webhooks.endpoints,
  };
  const incidents = new IncidentService({
    db: database.db,
    audit,
    lookups: incidentAttachments({ ...credentialServices, alerts: core.alerts, securityEvents }),
  });
  const usage = new UsageStore(database.db, database.dialect);
  const bulkActions = new BulkActions({
    db: database.db,
    audit,
    envelope,
    sources: incidentSources(credentialServices),
    usedFrom: (ip, since) => usage.credentialsUsedFrom(ip, since),
    notify: createIntegratorNotifier({
      database,
      audit,
      envelope,
      firstDelayMs: config.webhooks.retrySchedule[0] ?? 0,
      logger,
    }),
    incidents,
  });
  const timeline = new CredentialTimeline({
    keys: core.keys,
    clients: core.oauth.clients,
    usage,
    securityEvents,
    alerts: core.alerts,
    auditEntries: (targetId, range) => audit.forTarget(database.db, targetId, range),
  });
  return {
    ...core,
    alertSinks,
    auditCheckpoints,
    retention,
    incidents,
    bulkActions,
    usage,
    timeline,
    integrators: new IntegratorService({ db: database.db, audit, changes }),
    webhooks,
    async close() {
      await retention.close();
      await auditCheckpoints.close();
      await alertSinks.close();
      await webhooks.close();
      await core.close();
    },
  };
}

/** Opens storage and wires what the data path needs, and nothing it does not (no webhook worker). */
export async function createDataPathServices(
  config: Config,
  logger: Logger,
  options: ServicesOptions = {},
): Promise<DataPathServices> {
  const database = await openDatabase({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    migrations: MIGRATIONS,
  });
  const { db } = database;
  let redis: Redis | null = null;
  let changes: ChangeBus;
  try {
    redis = config.redisUrl ? await connectRedis(config.redisUrl, { name: 'gatehouse', logger }) : null;
    // Redis (or the threads' channel) announces changes at once; the change generation in the
    // database is read besides, so a change that no message carried still applies within 1 s.
    changes = await withChangeGenerations(
      db,
      redis
        ? await createRedisChangeBus({ redis, prefix: config.redisKeyPrefix, logger })
        : options.changeChannel
          ? createThreadChangeBus(options.changeChannel)
          : createLocalChangeBus(),
      { logger },
    );
  } catch (error) {
    redis?.disconnect();
    await database.close();
    throw error;
  }
  const envelope = createEnvelope(config.keyring);
  const audit = new AuditLog(database.dialect, deriveKey(config.pepper, 'audit-chain'), envelope);
  const hasher = createKeyedHasher(config.pepper, 'credential-hash');
  const keyPrefix = config.keyPrefix;
  const securityEvents = new SecurityEvents(db, logger);
  const credentials = new CredentialVerifier({
    db,
    hasher,
    keyPrefix,
    changes,
    cache: cacheLimitsOf(config),
    logger,
  });
  const keys = new KeyService({ db, audit, changes, hasher, keyPrefix });
  const adminTokens = new AdminTokenService({ db, audit, changes, hasher, keyPrefix });
  const oauth = createOAuth({ config, db, audit, changes, envelope, hasher, logger });
  const leaks = new LeakedCredentials({
    lookups: leakLookups({ keys, clients: oauth.clients, adminTokens }),
    keyPrefix,
    securityEvents,
    notify: createIntegratorNotifier({
      database,
      audit,
      envelope,
      firstDelayMs: config.webhooks.retrySchedule[0] ?? 0,
      logger,
    }),
  });
  return {
    config,
    logger,
    database,
    redis,
    envelope,
    changes,
    audit,
    keys,
    credentials,
    adminTokens,
    securityEvents,
    alerts: createAlertService({ config, database, audit, envelope, securityEvents, logger }),
    oauth,
    leaks,
    async close() {
      await securityEvents.flush();
      await credentials.close();
      await changes.close();
      await redis?.quit().catch(() => redis?.disconnect());
      await database.close();
    },
  };
}

/** The credential caches' bounds, from the configuration. */
export function cacheLimitsOf(config: Config): Partial<CredentialCacheLimits> {
  return {
    ttlMs: config.credentialCacheTtlMs,
    maxEntries: config.credentialCacheMaxEntries,
    negativeTtlMs: config.negativeCacheTtlMs,
  };
}
