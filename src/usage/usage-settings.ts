/** Detector settings; `gateway file: monitoring.detectors.*` (documented in README.md). */
export interface UsageDetectorSettings {
  readonly newIp: { readonly enabled: boolean; readonly learningMs: number };
  readonly volumeSpike: {
    readonly enabled: boolean;
    readonly factor: number;
    readonly minRequests: number;
    readonly baselineMinutes: number;
  };
  readonly errorRate: {
    readonly enabled: boolean;
    readonly threshold: number;
    readonly minRequests: number;
    readonly windowMinutes: number;
  };
}

/** How usage records are written; `gateway file: monitoring.usage.flush_interval_ms`. */
export interface UsageSettings {
  readonly flushIntervalMs: number;
  readonly detectors: UsageDetectorSettings;
}

export const DEFAULT_USAGE_SETTINGS: UsageSettings = Object.freeze({
  flushIntervalMs: 5_000,
  detectors: {
    newIp: { enabled: true, learningMs: 24 * 3_600_000 },
    volumeSpike: { enabled: true, factor: 10, minRequests: 100, baselineMinutes: 60 },
    errorRate: { enabled: true, threshold: 0.5, minRequests: 20, windowMinutes: 5 },
  },
});
