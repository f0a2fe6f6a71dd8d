import type { ChildProcess } from 'node:child_process';
/**
 * Tiny benchmark harness: runs an operation for a fixed time after a warm-up and reports its rate,
 * so every benchmark can print itself next to a baseline measured in the same run.
 */
export interface Measurement {
  readonly name: string;
  readonly opsPerSecond: number;
  readonly operations: number;
}

export async function measure(
  name: string,
  operation: () => unknown,
  options: { durationMs?: number; warmupMs?: number; batch?: number } = {},
): Promise<Measurement> {
  const { durationMs = 2000, warmupMs = 300, batch = 64 } = options;
  await runFor(operation, warmupMs, batch);
  const { operations, elapsedMs } = await runFor(operation, durationMs, batch);
  return { name, opsPerSecond: (operations / elapsedMs) * 1000, operations };
}

async function runFor(operation: () => unknown, durationMs: number, batch: number) {
  const start = performance.now();
  let operations = 0;
  while (performance.now() - start < durationMs) {
    for (let i = 0; i < batch; i++) {
      const result = operation();
      if (result instanceof Promise) await result;
    }
    operations += batch;
  }
  return { operations, elapsedMs: performance.now() - start };
}

/** Prints measurements as a table with each one's ratio to the named baseline. */
export function printComparison(title: string, baseline: Measurement, others: readonly Measurement[]): void {
  const rows = [baseline, ...others];
  const width = Math.max(...rows.map((r) => r.name.length));
  console.log(`\n${title}`);
  for (const row of rows) {
    const ratio =
      row === baseline ? 'baseline' : `${(row.opsPerSecond / baseline.opsPerSecond).toFixed(3)} × baseline`;
    console.log(`  ${row.name.padEnd(width)}  ${formatRate(row.opsPerSecond).padStart(12)}/s  ${ratio}`);
  }
}

export function formatRate(perSecond: number): string {
  return perSecond >= 1000 ? `${(perSecond / 1000).toFixed(1)}k` : perSecond.toFixed(0);
}

/** The CPU time (µs) a forked server has used so far: it answers the message `cpu` with `process.cpuUsage()`. */
export function cpuOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const listener = (message: unknown) => {
      const { cpu } = message as { cpu?: NodeJS.CpuUsage };
      if (!cpu) return;
      child.off('message', listener);
      resolve(cpu.user + cpu.system);
    };
    child.on('message', listener);
    child.send('cpu');
  });
}
