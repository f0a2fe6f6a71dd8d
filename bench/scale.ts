/**
 * `npm run bench:scale`: keys at scale (issue 17, goal 1). The same build of Gatehouse, each in its
 * own process in front of the same trivial upstream, driven over TLS on loopback by autocannon:
 *
 * - `keys_100k_vs_1`: a server holding 100,000 keys, each request with one of them picked uniformly
 *   at random, against a server holding 1 key. Target ≥ 0.90.
 * - `flood_vs_known`: on the 100,000-key server, traffic where half the requests carry one of
 *   50,000 random checksum-valid unknown keys (made with the product's key format) against
 *   known keys alone: the rate of all requests, so an unknown key must cost no more than a known
 *   one and must not push known keys out of the cache. Target ≥ 0.90.
 * - figures from `scale-figures.ts` (in a child with `--expose-gc`): bytes per cached key at
 *   1,000,000 entries, bytes per negatively cached key, database reads per distinct unknown key.
 *
 * Each pair of servers is fresh (BENCH_PAIRS, default 2), so one process's JIT luck does not decide.
 * The 100,000-key server is first sent every key once (its cache fills), then both are warmed with
 * their own traffic; then rounds alternate in ABBA order and each round's ratio compares two runs
 * seconds apart. The headline ratios are the medians over every round of every pair. Ends with one
 * JSON line `{"bench":"scale","ratios":{…},"figures":{…}}`.
 *
 * Environment: BENCH_DURATION (seconds per run, default 3), BENCH_CONNECTIONS (default 32),
 * BENCH_ROUNDS (runs per side per pair, default 4), BENCH_WARMUP (seconds per server, default 4),
 * BENCH_KEYS (default 100000), BENCH_PAIRS (default 2).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { generateCredential } from '../src/crypto/key-format.ts';
import { cpuOf, formatRate } from './harness.ts';

const DURATION = Number(process.env.BENCH_DURATION ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 4);
const KEYS = Number(process.env.BENCH_KEYS ?? 100_000);
const PAIRS = Number(process.env.BENCH_PAIRS ?? 2);
const UNKNOWN_KEYS = 50_000;
const PATH = '/v1/orders/ord_123';
const here = (file: string) => new URL(file, import.meta.url).pathname;

interface Run {
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
  readonly cpuMicrosPerRequest: number;
}

interface Server {
  readonly child: ChildProcess;
  readonly url: string;
  readonly keys: readonly string[];
  readonly seedMs: number;
}

const children: ChildProcess[] = [];
const dirs: string[] = [];
process.on('exit', () => {
  for (const child of children) child.kill();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function fork1<T>(
  file: string,
  args: string[],
  execArgv: string[] = [],
): Promise<{ child: ChildProcess; message: T }> {
  const child = fork(here(file), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve({ child, message: message as T }));
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
  });
}

async function startServer(upstream: string, keys: number): Promise<Server & { ca: Buffer }> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-scale-'));
  dirs.push(dir);
  const { child, message } = await fork1<{ url: string; caFile: string; keysFile: string; seedMs: number }>(
    './scale-server.ts',
    [upstream, dir, String(keys)],
  );
  return {
    child,
    url: message.url,
    keys: readFileSync(message.keysFile, 'utf8').split('\n'),
    seedMs: message.seedMs,
    ca: readFileSync(message.caFile),
  };
}

/** Picks the key of each request: uniformly at random, or each key once in order. */
type Pick = () => string;
const random =
  (keys: readonly string[]): Pick =>
  () =>
    keys[Math.floor(Math.random() * keys.length)] as string;
function inOrder(keys: readonly string[]): Pick {
  let next = 0;
  return () => keys[next++ % keys.length] as string;
}

async function drive(
  server: Server,
  ca: Buffer,
  pick: Pick,
  limit: { duration: number } | { amount: number },
  expectUnknown = false,
): Promise<Run> {
  const cpuBefore = await cpuOf(server.child);
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    autocannon(
      {
        url: `${server.url}${PATH}`,
        connections: CONNECTIONS,
        ...limit,
        tlsOptions: { ca },
        requests: [
          {
            method: 'GET',
            path: PATH,
            setupRequest: (request) => ({ ...request, headers: { ...request.headers, 'x-api-key': pick() } }),
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
  const cpu = (await cpuOf(server.child)) - cpuBefore;
  const refused = result.non2xx;
  if (result.errors + result.timeouts > 0 || (!expectUnknown && refused > 0))
    throw new Error(`${refused} refused responses, ${result.errors} errors, ${result.timeouts} timeouts`);
  return {
    requestsPerSecond: result.requests.average,
    p99Ms: result.latency.p99,
    cpuMicrosPerRequest: cpu / Math.max(1, result.requests.total),
  };
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

const line = (label: string, run: Run) =>
  console.log(
    `    ${label.padEnd(22)} ${formatRate(run.requestsPerSecond).padStart(7)} req/s   p99 ${String(run.p99Ms).padStart(3)} ms   ${run.cpuMicrosPerRequest.toFixed(0).padStart(4)} µs CPU/request`,
  );

/** ABBA rounds of two sides; returns each round's ratio b / a. */
async function abba(
  a: { label: string; run: () => Promise<Run> },
  b: { label: string; run: () => Promise<Run> },
  runs: Record<string, Run[]>,
): Promise<number[]> {
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? [a, b] : [b, a];
    const got = new Map<string, Run>();
    for (const side of order) {
      const run = await side.run();
      got.set(side.label, run);
      const sideRuns = runs[side.label] ?? [];
      sideRuns.push(run);
      runs[side.label] = sideRuns;
      line(`round ${round + 1} ${side.label}`, run);
    }
    ratios.push((got.get(b.label) as Run).requestsPerSecond / (got.get(a.label) as Run).requestsPerSecond);
  }
  return ratios;
}

console.log(
  `scale benchmark: ${PAIRS} pairs of fresh servers (1 key, ${KEYS} keys), ${ROUNDS} ABBA rounds × ${DURATION} s per side, ${CONNECTIONS} connections, GET ${PATH} over TLS on loopback`,
);
const upstream = await fork1<{ url: string }>('./gateway-servers.ts', ['upstream']);
const scaleRatios: number[] = [];
const floodRatios: number[] = [];
const runs: Record<string, Run[]> = {};
let seedMs = 0;
for (let pair = 0; pair < PAIRS; pair++) {
  const [one, many] = await Promise.all([
    startServer(upstream.message.url, 1),
    startServer(upstream.message.url, KEYS),
  ]);
  seedMs = Math.max(seedMs, many.seedMs);
  console.log(`  pair ${pair + 1}: seeded ${KEYS} keys in ${(many.seedMs / 1000).toFixed(1)} s`);
  const fill = await drive(many, many.ca, inOrder(many.keys), { amount: many.keys.length });
  line('first use of every key', fill);
  await drive(many, many.ca, random(many.keys), { duration: WARMUP });
  await drive(one, one.ca, random(one.keys), { duration: WARMUP });
  scaleRatios.push(
    ...(await abba(
      { label: '1 key', run: () => drive(one, one.ca, random(one.keys), { duration: DURATION }) },
      { label: `${KEYS} keys`, run: () => drive(many, many.ca, random(many.keys), { duration: DURATION }) },
      runs,
    )),
  );
  const unknown = Array.from({ length: UNKNOWN_KEYS }, () => generateCredential('gate', 'test'));
  const known = random(many.keys);
  const stranger = random(unknown);
  const mixed: Pick = () => (Math.random() < 0.5 ? known() : stranger());
  floodRatios.push(
    ...(await abba(
      { label: 'known keys', run: () => drive(many, many.ca, known, { duration: DURATION }) },
      {
        label: 'known + unknown flood',
        run: () => drive(many, many.ca, mixed, { duration: DURATION }, true),
      },
      runs,
    )),
  );
  one.child.kill();
  many.child.kill();
}

const figuresChild = await fork1<{ figures: Record<string, number> }>(
  './scale-figures.ts',
  [],
  ['--expose-gc'],
);
const figures = figuresChild.message.figures;
const summary = (label: string) => {
  const of = runs[label] ?? [];
  return {
    rps: Math.round(median(of.map((r) => r.requestsPerSecond))),
    p99Ms: median(of.map((r) => r.p99Ms)),
    cpuUs: Math.round(median(of.map((r) => r.cpuMicrosPerRequest))),
  };
};
const ratios = {
  keys_100k_vs_1: Number(median(scaleRatios).toFixed(3)),
  flood_vs_known: Number(median(floodRatios).toFixed(3)),
};
console.log('\nmedians');
for (const label of Object.keys(runs)) {
  const s = summary(label);
  console.log(
    `  ${label.padEnd(22)} ${formatRate(s.rps).padStart(7)} req/s   p99 ${s.p99Ms} ms   ${s.cpuUs} µs CPU/request`,
  );
}
console.log(
  `  ${KEYS} keys / 1 key: ${ratios.keys_100k_vs_1} (rounds ${Math.min(...scaleRatios).toFixed(3)}–${Math.max(...scaleRatios).toFixed(3)}; target ≥ 0.90)`,
);
console.log(
  `  with a flood of unknown keys / known keys alone: ${ratios.flood_vs_known} (rounds ${Math.min(...floodRatios).toFixed(3)}–${Math.max(...floodRatios).toFixed(3)}; target ≥ 0.90)`,
);
console.log(
  `  ${figures.bytes_per_cached_key} bytes per cached key (${figures.cache_entries} entries, heap ${figures.heap_mb_with_cache_full} MB), ${figures.bytes_per_unknown_key} per unknown key; ${figures.db_reads_per_distinct_unknown_key} database reads per distinct unknown key`,
);
console.log(
  JSON.stringify({
    bench: 'scale',
    ratios,
    figures: {
      ...figures,
      keys: KEYS,
      seed_ms: Math.round(seedMs),
      one_key: summary('1 key'),
      many_keys: summary(`${KEYS} keys`),
      known_keys: summary('known keys'),
      with_flood: summary('known + unknown flood'),
    },
  }),
);
process.exit(0);
