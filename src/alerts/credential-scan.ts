import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';
import type { Logger } from '../log/logger.ts';
import type { SecurityEvents } from '../monitor/security-events.ts';
import type { AlertConfig } from './alert-config.ts';
import type { AlertRaiser, AlertRule } from './alert-types.ts';

/** Most credentials one scan reports per rule (the rest follow on the next scan). */
const SCAN_LIMIT = 500;

export interface CredentialScanDeps {
  readonly db: Kysely<Schema>;
  readonly securityEvents: SecurityEvents;
  readonly raiser: AlertRaiser;
  readonly config: AlertConfig;
  readonly logger: Logger;
}

interface Finding {
  readonly rule: AlertRule;
  readonly event: string;
  readonly subject: string;
  readonly credentialId: string;
  readonly integratorId: string;
  readonly details: Record<string, unknown>;
}

/**
 * The off-path scans (K4, K5, K9): credentials whose newest secret is older than the rotation policy
 * (`rotation_due`), credentials unused for `unusedAfterMs` (`unused_credential`), and admin token
 * changes in the audit log (`admin_permission_change`). A credential with an open alert of the rule
 * is not reported again until that alert is acknowledged. Reads the keys', OAuth's and the audit
 * log's tables read-only (integrator: move these queries behind those features' services).
 */
export class CredentialScan {
  readonly #deps: CredentialScanDeps;
  #timers: NodeJS.Timeout[] = [];
  #auditSeq: number | null = null;
  #running: Promise<void> = Promise.resolve();

  constructor(deps: CredentialScanDeps) {
    this.#deps = deps;
  }

  start(): void {
    const { scanIntervalMs, auditPollMs } = this.#deps.config;
    const every = (ms: number, work: () => Promise<void>) => {
      const run = () => {
        this.#running = this.#running.then(work).catch((error: unknown) => {
          this.#deps.logger.error({ err: error }, 'an alert scan failed');
        });
      };
      const timer = setInterval(run, ms);
      timer.unref();
      this.#timers.push(timer);
      run();
    };
    every(scanIntervalMs, () => this.scanCredentials());
    every(auditPollMs, () => this.scanAdminChanges());
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    await this.#running;
  }

  /** Reports credentials rotation-due or unused as of `now` (the alerts carry the real time). */
  async scanCredentials(now = Date.now()): Promise<void> {
    const { db, config } = this.#deps;
    const keys = await db
      .selectFrom('api_keys')
      .innerJoin('api_key_secrets', 'api_key_secrets.key_id', 'api_keys.id')
      .select((eb) => [
        'api_keys.id as id',
        'api_keys.integrator_id as integrator_id',
        'api_keys.created_at as created_at',
        'api_keys.last_used_at as last_used_at',
        eb.fn.max('api_key_secrets.created_at').as('secret_created_at'),
      ])
      .where('api_keys.revoked_at', 'is', null)
      .where((eb) => eb.or([eb('api_keys.expires_at', 'is', null), eb('api_keys.expires_at', '>', now)]))
      .groupBy(['api_keys.id', 'api_keys.integrator_id', 'api_keys.created_at', 'api_keys.last_used_at'])
      .limit(10 * SCAN_LIMIT)
      .execute();
    const clients = await db
      .selectFrom('oauth_clients')
      .innerJoin('oauth_client_secrets', 'oauth_client_secrets.client_id', 'oauth_clients.id')
      .select((eb) => [
        'oauth_clients.id as id',
        'oauth_clients.integrator_id as integrator_id',
        'oauth_clients.created_at as created_at',
        'oauth_clients.last_used_at as last_used_at',
        eb.fn.max('oauth_client_secrets.created_at').as('secret_created_at'),
      ])
      .where('oauth_clients.revoked_at', 'is', null)
      .groupBy([
        'oauth_clients.id',
        'oauth_clients.integrator_id',
        'oauth_clients.created_at',
        'oauth_clients.last_used_at',
      ])
      .limit(10 * SCAN_LIMIT)
      .execute();
    const findings: Finding[] = [];
    for (const [kind, rows] of [
      ['credential', keys],
      ['client', clients],
    ] as const) {
      for (const row of rows) {
        const secretAge = now - Number(row.secret_created_at ?? row.created_at);
        const lastUse = Number(row.last_used_at ?? row.created_at);
        const base = { subject: `${kind}:${row.id}`, credentialId: row.id, integratorId: row.integrator_id };
        if (secretAge > config.rotationAgeMs)
          findings.push({
            ...base,
            rule: 'rotation_due',
            event: 'rotation_due',
            details: {
              age_days: Math.floor(secretAge / 86_400_000),
              policy_days: Math.floor(config.rotationAgeMs / 86_400_000),
            },
          });
        if (now - lastUse > config.unusedAfterMs)
          findings.push({
            ...base,
            rule: 'unused_credential',
            event: 'credential_unused',
            details: {
              last_used_at:
                row.last_used_at === null ? null : new Date(Number(row.last_used_at)).toISOString(),
              unused_days: Math.floor((now - lastUse) / 86_400_000),
            },
          });
      }
    }
    await this.#report(findings.slice(0, 2 * SCAN_LIMIT), Date.now());
  }

  async #report(findings: readonly Finding[], now: number): Promise<void> {
    if (findings.length === 0) return;
    const open = await this.#deps.db
      .selectFrom('alerts')
      .select(['rule', 'subject'])
      .where('status', '=', 'open')
      .where('rule', 'in', ['rotation_due', 'unused_credential'])
      .execute();
    const reported = new Set(open.map((alert) => `${alert.rule}|${alert.subject}`));
    for (const finding of findings) {
      if (reported.has(`${finding.rule}|${finding.subject}`)) continue;
      // The event is stored; the raise carries its id. The detector seam ignores these event types.
      const eventId = await this.#recordEvent(finding, now);
      await this.#deps.raiser.raise(
        {
          rule: finding.rule,
          subject: finding.subject,
          eventIds: eventId ? [eventId] : [],
          details: finding.details,
        },
        now,
      );
    }
  }

  async #recordEvent(finding: Finding, now: number): Promise<string | null> {
    await this.#deps.securityEvents.record(
      {
        event: finding.event,
        source: 'scan',
        credentialId: finding.credentialId,
        integratorId: finding.integratorId,
        details: finding.details,
      },
      now,
    );
    const row = await this.#deps.db
      .selectFrom('security_events')
      .select('id')
      .where('event', '=', finding.event)
      .where('credential_id', '=', finding.credentialId)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row?.id ?? null;
  }

  /** Turns admin token changes in the audit log (since the last look) into security events. */
  async scanAdminChanges(): Promise<void> {
    const { db, securityEvents } = this.#deps;
    if (this.#auditSeq === null) {
      const head = await db
        .selectFrom('audit_log')
        .select((eb) => eb.fn.max('seq').as('seq'))
        .executeTakeFirst();
      this.#auditSeq = Number(head?.seq ?? 0);
      return;
    }
    const entries = await db
      .selectFrom('audit_log')
      .select(['seq', 'action', 'target_id', 'actor_id', 'actor_name', 'after_json', 'before_json', 'ip'])
      .where('seq', '>', this.#auditSeq)
      .where('action', 'like', 'admin_token.%')
      .orderBy('seq')
      .limit(SCAN_LIMIT)
      .execute();
    const latest = await db
      .selectFrom('audit_log')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .executeTakeFirst();
    for (const entry of entries) {
      const after = entry.after_json === null ? null : (JSON.parse(entry.after_json) as { role?: unknown });
      const before =
        entry.before_json === null ? null : (JSON.parse(entry.before_json) as { role?: unknown });
      await securityEvents.record({
        event: 'admin_permission_changed',
        source: 'admin',
        ip: entry.ip,
        details: {
          action: entry.action,
          admin_token_id: entry.target_id,
          role: after?.role ?? before?.role ?? null,
          actor_id: entry.actor_id,
          actor_name: entry.actor_name,
        },
      });
    }
    const last = entries.at(-1);
    this.#auditSeq =
      entries.length === SCAN_LIMIT && last ? Number(last.seq) : Number(latest?.seq ?? this.#auditSeq);
  }
}
