import type { AlertSink } from './alert-sink.ts';
import type { UsageBatch } from './usage-counter.ts';
import type { UsageDetectorSettings } from './usage-settings.ts';
import type { AppliedBatch, UsageStore } from './usage-store.ts';

const MINUTE_MS = 60_000;

/**
 * The usage-based detectors, run after each flush (off the request path) on the credentials the
 * batch touched: `new_ip` (an address never used before, once the credential's first record is
 * older than the learning period), `volume_spike` (a minute above `factor` × the mean of the
 * `baselineMinutes` before it, and at least `minRequests`; only once the credential has that much
 * history), `error_rate` (4xx+5xx share of the last `windowMinutes` at or above `threshold`, over
 * at least `minRequests`).
 */
export async function runUsageDetectors(options: {
  store: UsageStore;
  sink: AlertSink;
  settings: UsageDetectorSettings;
  batch: UsageBatch;
  applied: AppliedBatch;
  now: number;
}): Promise<void> {
  const { store, sink, settings, batch, applied, now } = options;
  for (const [credentialId, usage] of batch.credentials) {
    const found = applied.credentials.get(credentialId);
    if (found === undefined) continue;
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
    if (!spike.enabled && !errors.enabled) continue;
    const latest = Math.max(...usage.minutes.keys());
    const since = latest - Math.max(spike.baselineMinutes, errors.windowMinutes) * MINUTE_MS;
    const minutes = await store.minutes(credentialId, since, latest + MINUTE_MS);
    const total = (m: (typeof minutes)[number]) => m.status2xx + m.status3xx + m.status4xx + m.status5xx;
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
}
