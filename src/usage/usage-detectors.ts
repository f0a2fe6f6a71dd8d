import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { AlertSink } from './alert-sink.ts';
import type { CredentialUsage, UsageBatch } from './usage-counter.ts';
import type { UsageDetectorSettings } from './usage-settings.ts';
import { chunksOf } from './usage-statements.ts';
import {
  type AppliedBatch,
  CREDENTIALS_PER_CHUNK,
  type UsageMinute,
  type UsageStore,
} from './usage-store.ts';

const MINUTE_MS = 60_000;

/**
 * The usage-based detectors, run after each flush (off the request path) on the credentials the
 * batch added: `new_ip` (an address never used before, once the credential's first record is
 * older than the learning period), `volume_spike` (a minute above `factor` × the mean of the
 * `baselineMinutes` before it, and at least `minRequests`; only once the credential has that much
 * history), `error_rate` (4xx+5xx share of the last `windowMinutes` at or above `threshold`, over
 * at least `minRequests`). The minutes are read a chunk of credentials per statement, with the event
 * loop running between chunks.
 */
export async function runUsageDetectors(options: {
  store: UsageStore;
  sink: AlertSink;
  settings: UsageDetectorSettings;
  batch: UsageBatch;
  applied: AppliedBatch;
  now: number;
  /** Gives the event loop its turn between chunks. */
  pause?: () => Promise<unknown>;
}): Promise<void> {
  const { store, settings, batch, applied, pause = yieldToEventLoop } = options;
  const lookback =
    Math.max(settings.volumeSpike.baselineMinutes, settings.errorRate.windowMinutes) * MINUTE_MS;
  const readMinutes = settings.volumeSpike.enabled || settings.errorRate.enabled;
  let first = true;
  for (const ids of chunksOf(applied.credentials.keys(), CREDENTIALS_PER_CHUNK)) {
    if (!first) await pause();
    first = false;
    const touched = ids.flatMap((id) => {
      const usage = batch.credentials.get(id);
      return usage === undefined ? [] : [[id, usage] as const];
    });
    const ranges = touched
      .filter(([credentialId, usage]) => mayAlertOnMinutes(settings, applied, credentialId, usage))
      .map(([credentialId, usage]) => {
        const latest = latestMinute(usage);
        return [credentialId, latest - lookback, latest + MINUTE_MS] as const;
      });
    const minutes =
      readMinutes && ranges.length > 0 ? await store.recentMinutes(ranges) : new Map<string, UsageMinute[]>();
    for (const [credentialId, usage] of touched)
      await detect(options, credentialId, usage, minutes.get(credentialId) ?? []);
  }
}

/**
 * Whether a credential's minutes are worth reading: a volume spike needs a minute of at least
 * `minRequests`, and an error rate is judged when the batch brings a failure (successes alone do
 * not raise one). Most credentials of a large batch are neither, and are not read.
 */
function mayAlertOnMinutes(
  settings: UsageDetectorSettings,
  applied: AppliedBatch,
  credentialId: string,
  usage: CredentialUsage,
): boolean {
  const found = applied.credentials.get(credentialId);
  if (found === undefined) return false;
  if (settings.volumeSpike.enabled && found.busiestMinute >= settings.volumeSpike.minRequests) return true;
  if (!settings.errorRate.enabled) return false;
  for (const counts of usage.minutes.values()) if (counts[2] + counts[3] > 0) return true;
  return false;
}

function latestMinute(usage: CredentialUsage): number {
  let latest = Number.NEGATIVE_INFINITY;
  for (const minute of usage.minutes.keys()) if (minute > latest) latest = minute;
  return latest;
}

async function detect(
  options: { sink: AlertSink; settings: UsageDetectorSettings; applied: AppliedBatch; now: number },
  credentialId: string,
  usage: CredentialUsage,
  minutes: readonly UsageMinute[],
): Promise<void> {
  const { sink, settings, applied, now } = options;
  const found = applied.credentials.get(credentialId);
  if (found === undefined) return;
  const { firstUse } = found;
  if (settings.newIp.enabled && firstUse !== null && now - firstUse >= settings.newIp.learningMs) {
    for (const ip of found.newIps)
      await sink.raise({
        rule: 'new_ip',
        subject: `credential:${credentialId}`,
        details: { credential_id: credentialId, ip },
      });
  }
  const spike = settings.volumeSpike;
  const errors = settings.errorRate;
  if (!spike.enabled && !errors.enabled) return;
  const latest = latestMinute(usage);
  const total = (m: UsageMinute) => m.status2xx + m.status3xx + m.status4xx + m.status5xx;
  if (spike.enabled && firstUse !== null && firstUse <= latest - spike.baselineMinutes * MINUTE_MS) {
    for (const minute of usage.minutes.keys()) {
      const current = minutes.find((m) => m.minute === minute);
      const volume = current === undefined ? 0 : total(current);
      const before = minutes.filter(
        (m) => m.minute < minute && m.minute >= minute - spike.baselineMinutes * MINUTE_MS,
      );
      const baseline = before.reduce((sum, m) => sum + total(m), 0) / spike.baselineMinutes;
      if (volume >= spike.minRequests && volume > spike.factor * baseline)
        await sink.raise({
          rule: 'volume_spike',
          subject: `credential:${credentialId}`,
          details: {
            credential_id: credentialId,
            minute: new Date(minute).toISOString(),
            requests: volume,
            baseline,
          },
        });
    }
  }
  if (errors.enabled) {
    const window = minutes.filter((m) => m.minute > latest - errors.windowMinutes * MINUTE_MS);
    const requests = window.reduce((sum, m) => sum + total(m), 0);
    const failed = window.reduce((sum, m) => sum + m.status4xx + m.status5xx, 0);
    if (requests >= errors.minRequests && failed / requests >= errors.threshold)
      await sink.raise({
        rule: 'error_rate',
        subject: `credential:${credentialId}`,
        details: {
          credential_id: credentialId,
          requests,
          errors: failed,
          window_minutes: errors.windowMinutes,
        },
      });
  }
}
