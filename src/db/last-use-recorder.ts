const DEFAULT_INTERVAL_MS = 60_000;

/**
 * Records "last used" times off the request path, at most once per interval per credential, so a
 * busy credential costs one write a minute instead of one per request. A failed write is retried
 * at the next use.
 */
export function createLastUseRecorder(
  write: (id: string, now: number) => Promise<unknown>,
  onError: (error: unknown, id: string) => void = () => {},
  intervalMs = DEFAULT_INTERVAL_MS,
): (id: string, now: number) => void {
  const recorded = new Map<string, number>();
  return (id, now) => {
    if (now - (recorded.get(id) ?? 0) < intervalMs) return;
    if (recorded.size >= 100_000) recorded.clear();
    recorded.set(id, now);
    write(id, now).catch((error: unknown) => {
      recorded.delete(id);
      onError(error, id);
    });
  };
}
