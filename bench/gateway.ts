/**
 * `npm run bench:gateway`: Gatehouse's data path against a bare undici reverse proxy on the same
 * stack (node:https with the same certificate, keep-alive undici pool, streaming, no checks), both
 * in front of the same trivial upstream. Each server runs in its own process; autocannon drives
 * them from this one, on loopback only.
 *
 * Both servers are first warmed up until V8 has optimized their hot paths (CPU per request keeps
 * falling for tens of thousands of requests; a gateway lives in that steady state). Then rounds
 * alternate baseline and Gatehouse in ABBA order, so the machine's drift in speed (it swings by
 * 2× within minutes on shared 2-core machines) hits both alike. Each round's ratio compares two
 * runs seconds apart; the headline is the median of those ratios.
 *
 * Environment: BENCH_DURATION (seconds per run, default 5), BENCH_CONNECTIONS (default 32),
 * BENCH_ROUNDS (runs per server, default 6), BENCH_WARMUP (seconds of warm-up per server, default 12).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { cpuOf, formatRate } from './harness.ts';

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? process.env.BENCH_RUNS ?? 6);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 12);
const WARMUP_STEP = 3;
const PATH = '/v1/orders/ord_123';
const SERVERS = new URL('./gateway-servers.ts', import.meta.url).pathname;

interface Started {
  readonly child: ChildProcess;
  readonly message: { url: string; key?: string; caFile?: string };
}

interface Run {
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
  /** CPU time (user + system) the server process spent per request, in microseconds. */
  readonly cpuMicrosPerRequest: number;
}

const children: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-gateway-'));
process.on('exit', () => {
  for (const child of children) child.kill();
  rmSync(dir, { recursive: true, force: true });
});

function start(...args: string[]): Promise<Started> {
  const child = fork(SERVERS, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve({ child, message: message as Started['message'] }));
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}`)));
  });
}

async function drive(
  server: ChildProcess,
  url: string,
  ca: Buffer,
  headers: Record<string, string>,
  duration: number,
): Promise<Run> {
  const cpuBefore = await cpuOf(server);
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    autocannon(
      {
        url: `${url}${PATH}`,
        connections: CONNECTIONS,
        duration,
        headers,
        tlsOptions: { ca },
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
  const cpu = (await cpuOf(server)) - cpuBefore;
  return {
    requestsPerSecond: result.requests.average,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    cpuMicrosPerRequest: cpu / Math.max(1, result.requests.total),
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

const upstream = await start('upstream');
const gatehouse = await start('gatehouse', upstream.message.url, dir);
const baseline = await start('baseline', upstream.message.url, dir);
const ca = readFileSync(gatehouse.message.caFile as string);
const targets = {
  baseline: {
    child: baseline.child,
    url: baseline.message.url,
    headers: { 'x-api-key': gatehouse.message.key as string },
  },
  gatehouse: {
    child: gatehouse.child,
    url: gatehouse.message.url,
    headers: { 'x-api-key': gatehouse.message.key as string },
  },
};

console.log(
  `gateway benchmark: ${WARMUP} s warm-up, then ${ROUNDS} rounds × ${DURATION} s per server (ABBA order), ${CONNECTIONS} connections, GET ${PATH} over TLS on loopback`,
);
for (let warmed = 0; warmed < WARMUP; warmed += WARMUP_STEP) {
  for (const target of Object.values(targets))
    await drive(target.child, target.url, ca, target.headers, Math.min(WARMUP_STEP, WARMUP - warmed));
}
const runs: Record<keyof typeof targets, Run[]> = { baseline: [], gatehouse: [] };
const ratios: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? (['baseline', 'gatehouse'] as const) : (['gatehouse', 'baseline'] as const);
  for (const name of order) {
    const target = targets[name];
    const run = await drive(target.child, target.url, ca, target.headers, DURATION);
    if (run.non2xx > 0 || run.errors > 0)
      throw new Error(`${name}: ${run.non2xx} non-2xx responses, ${run.errors} errors`);
    runs[name].push(run);
    console.log(
      `  round ${round + 1} ${name.padEnd(9)} ${formatRate(run.requestsPerSecond).padStart(7)} req/s   p99 ${String(run.p99Ms).padStart(3)} ms   ${run.cpuMicrosPerRequest.toFixed(0).padStart(4)} µs CPU/request`,
    );
  }
  ratios.push(
    (runs.gatehouse[round] as Run).requestsPerSecond / (runs.baseline[round] as Run).requestsPerSecond,
  );
  console.log(`  round ${round + 1} ratio     ${(ratios[round] as number).toFixed(3)}`);
}

const summary = (name: keyof typeof targets) => ({
  rps: median(runs[name].map((r) => r.requestsPerSecond)),
  p99: median(runs[name].map((r) => r.p99Ms)),
  cpu: median(runs[name].map((r) => r.cpuMicrosPerRequest)),
});
const base = summary('baseline');
const gate = summary('gatehouse');
console.log('\nmedians');
console.log(
  `  bare undici proxy  ${formatRate(base.rps).padStart(7)} req/s   p99 ${base.p99} ms   ${base.cpu.toFixed(0)} µs CPU/request`,
);
console.log(
  `  gatehouse          ${formatRate(gate.rps).padStart(7)} req/s   p99 ${gate.p99} ms   ${gate.cpu.toFixed(0)} µs CPU/request`,
);
console.log(
  `  ratio gatehouse / bare proxy: ${median(ratios).toFixed(3)} (median of the rounds' ratios, range ${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}; ratio of medians ${(gate.rps / base.rps).toFixed(3)}; target ≥ 0.80)`,
);
console.log(`  CPU per request, bare proxy / gatehouse: ${(base.cpu / gate.cpu).toFixed(3)}`);
process.exit(0);
