import { type AlertConfig, readAlertConfig } from '../alerts/alert-config.ts';
import { type AuditConfig, readAuditConfig } from '../audit/audit-config.ts';
import { type BaseConfig, loadConfigWith, type SectionReaders } from '../config/config.ts';
import type { Env } from '../config/env-reader.ts';
import { type ConsoleConfig, readConsoleConfig } from '../console/console-config.ts';
import { type GatewayConfig, readGatewayConfig } from '../gateway/gateway-config.ts';
import { type LeakConfig, readLeakConfig } from '../leaks/leak-config.ts';
import { type OAuthConfig, readOAuthConfig } from '../oauth/oauth-config.ts';
import { type OpsConfig, readOpsConfig } from '../ops/ops-config.ts';
import { type RetentionConfig, readRetentionConfig } from '../retention/retention-config.ts';
import { readWebhookConfig, type WebhookConfig } from '../webhooks/webhook-config.ts';

/** Each feature's section of the configuration, read by that feature's reader. */
export interface FeatureConfig {
  /** The data path: routes, upstreams, limits (`GATEHOUSE_CONFIG_FILE` and friends). */
  readonly gateway: GatewayConfig;
  /** Webhook delivery: SSRF exceptions, extra CA, retries, timeouts (`GATEHOUSE_WEBHOOK_*`). */
  readonly webhooks: WebhookConfig;
  /** The OAuth authorization server: issuer, audience, token endpoint limits (`GATEHOUSE_OAUTH_*`). */
  readonly oauth: OAuthConfig;
  /** Alert rules' thresholds, windows and scans, and the SMTP sink (`GATEHOUSE_ALERT_*`). */
  readonly alerts: AlertConfig;
  /** Leak reports from code hosts: their signing keys and what a leak gets (`GATEHOUSE_LEAK_POLICY`). */
  readonly leaks: LeakConfig;
  /** Signed checkpoints of the audit chain (`GATEHOUSE_AUDIT_*`). */
  readonly audit: AuditConfig;
  /** How long each data class is kept, and how often the purge runs (`GATEHOUSE_RETENTION_*`). */
  readonly retention: RetentionConfig;
  /** What `doctor` is told about the deployment (`GATEHOUSE_INSTANCES`). */
  readonly ops: OpsConfig;
  /** Console sessions' idle timeout and absolute lifetime (`GATEHOUSE_CONSOLE_*`). */
  readonly console: ConsoleConfig;
}

/** Everything Gatehouse reads from its environment, validated once at start. */
export interface Config extends BaseConfig, FeatureConfig {}

/** The feature readers, in the order their problems are reported. */
const READERS: SectionReaders<FeatureConfig> = {
  gateway: (read, { cwd }) => readGatewayConfig(read, cwd),
  webhooks: (read, { production }) => Object.freeze(readWebhookConfig(read, production)),
  oauth: (read) => Object.freeze(readOAuthConfig(read)),
  alerts: (read) => Object.freeze(readAlertConfig(read)),
  leaks: (read, { cwd }) => Object.freeze(readLeakConfig(read, cwd)),
  audit: (read) => Object.freeze(readAuditConfig(read)),
  retention: (read) => Object.freeze(readRetentionConfig(read)),
  ops: (read) => Object.freeze(readOpsConfig(read)),
  console: (read) => Object.freeze(readConsoleConfig(read)),
};

/** Reads and validates the environment; throws a `ConfigError` naming every bad variable. */
export function loadConfig(env: Env, cwd = process.cwd()): Config {
  return loadConfigWith(env, cwd, READERS);
}
