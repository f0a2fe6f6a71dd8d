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

/** Runs `operation` from `concurrency` callers at once for `durationMs`; the rate of all of them together. */
export async function measureConcurrent(
  name: string,
  operation: () => Promise<unknown>,
  options: { durationMs: number; concurrency: number },
): Promise<Measurement> {
  const start = performance.now();
  let operations = 0;
  const caller = async () => {
    while (performance.now() - start < options.durationMs) {
      await operation();
      operations++;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, caller));
  return { name, opsPerSecond: (operations / (performance.now() - start)) * 1000, operations };
}

/** One side of an ABBA comparison: a label and how to measure it once. */
export interface Side {
  readonly label: string;
  readonly run: () => Promise<Measurement>;
}

/**
 * `rounds` rounds of the baseline `a` and the candidate `b`, alternating which goes first (ABBA),
 * so the machine's drift in speed falls on both sides alike; each round's ratio is b / a.
 */
export async function abbaRounds(
  a: Side,
  b: Side,
  rounds: number,
): Promise<{ ratios: number[]; a: number[]; b: number[] }> {
  const out = { ratios: [] as number[], a: [] as number[], b: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? [a, b] : [b, a];
    const got = new Map<Side, Measurement>();
    for (const side of order) got.set(side, await side.run());
    const rateA = (got.get(a) as Measurement).opsPerSecond;
    const rateB = (got.get(b) as Measurement).opsPerSecond;
    out.a.push(rateA);
    out.b.push(rateB);
    out.ratios.push(rateB / rateA);
  }
  return out;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Prints an ABBA comparison: each side's median rate, the median ratio and its range over the rounds. */
export function printRounds(
  title: string,
  a: string,
  b: string,
  result: { ratios: number[]; a: number[]; b: number[] },
): number {
  const ratio = Number(median(result.ratios).toFixed(3));
  const width = Math.max(a.length, b.length);
  console.log(`\n${title} (${result.ratios.length} ABBA rounds, medians)`);
  console.log(`  ${a.padEnd(width)}  ${formatRate(median(result.a)).padStart(8)}/s  baseline`);
  console.log(
    `  ${b.padEnd(width)}  ${formatRate(median(result.b)).padStart(8)}/s  ${ratio.toFixed(3)} × baseline (rounds ${Math.min(...result.ratios).toFixed(3)}–${Math.max(...result.ratios).toFixed(3)})`,
  );
  return ratio;
}
