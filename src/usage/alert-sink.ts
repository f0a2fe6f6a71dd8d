/**
 * Where the usage detectors raise alerts. The alerts feature (`src/alerts/`) de-duplicates per
 * (rule, subject) and delivers to the configured sinks; this is the whole surface the detectors use.
 */
export interface AlertSink {
  raise(input: {
    readonly rule: 'new_ip' | 'volume_spike' | 'error_rate';
    readonly subject: string;
    readonly details?: Record<string, unknown>;
    readonly eventIds?: readonly string[];
  }): Promise<void> | void;
}
