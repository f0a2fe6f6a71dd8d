/**
 * `npm run bench:gateway`: Gatehouse's data path against its peers in front of the same trivial
 * upstream: a bare undici reverse proxy on the same stack (node:https with the same certificate,
 * keep-alive undici pool, streaming, no checks), the Fastify stack a Node team would build instead
 * (`fastify-peer.ts`), and nginx when it is installed (`nginx-peer.ts`). Each server runs in its
 * own process; autocannon drives them from this one, on loopback only.
 *
 * A session starts fresh processes of every server, warms each up until V8 has optimized its hot
 * paths (CPU per request keeps falling for tens of thousands of requests), then runs rounds over
 * the servers in alternating order (ABBA), so the machine's drift in speed (it swings by 2× within
 * minutes on shared 2-core machines) hits all alike. Several sessions, each with new processes,
 * keep one process's JIT luck from deciding the result (the bare proxy settles in one of two
 * states, ~40 or ~50 µs per request). Each round's ratio compares runs seconds apart; the headline
 * is the median over every round of every session. The last line is JSON for scripts.
 *
 * Environment: BENCH_SESSIONS (default 3), BENCH_ROUNDS (rounds per session, default 4),
 * BENCH_DURATION (seconds per run, default 5), BENCH_CONNECTIONS (default 32), BENCH_WARMUP
 * (seconds of warm-up per server and session, default 12), BENCH_PEERS (comma-separated subset of
 * `fastify,nginx`; default both, nginx only when installed).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { cpuOf, formatRate } from './harness.ts';
import { findNginx, startNginx } from './nginx-peer.ts';

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? process.env.BENCH_RUNS ?? 4);
const PEERS = new Set((process.env.BENCH_PEERS ?? 'fastify,nginx').split(',').map((p) => p.trim()));
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

function forked(started: Started): Target {
  return { url: started.message.url, cpu: () => cpuOf(started.child), stop: () => started.child.kill() };
}

function start(...args: string[]): Promise<Started> {
  const child = fork(SERVERS, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve({ child, message: message as Started['message'] }));
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code}`)));
  });
}

/** A server under test: where to send requests, and its CPU time so far (null when unknown). */
interface Target {
  readonly url: string;
  readonly cpu: () => Promise<number | null>;
  readonly stop: () => void;
}

async function drive(
  target: Target,
  ca: Buffer,
  headers: Record<string, string>,
  duration: number,
): Promise<Run> {
  const cpuBefore = await target.cpu();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    autocannon(
      {
        url: `${target.url}${PATH}`,
        connections: CONNECTIONS,
        duration,
        headers,
        tlsOptions: { ca },
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
  const cpuAfter = await target.cpu();
  const cpu = cpuBefore === null || cpuAfter === null ? Number.NaN : cpuAfter - cpuBefore;
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
const spread = (values: number[]) => `${Math.min(...values).toFixed(3)}–${Math.max(...values).toFixed(3)}`;

const PEER_LABELS = {
  baseline: 'bare undici proxy',
  fastify: 'Fastify stack',
  nginx: 'nginx, 1 worker',
} as const;
type Server = 'gatehouse' | keyof typeof PEER_LABELS;
const nginx = PEERS.has('nginx') ? findNginx() : null;
const servers: Server[] = ['baseline', 'gatehouse'];
if (PEERS.has('fastify')) servers.push('fastify');
if (nginx !== null) servers.push('nginx');
const peers = servers.filter((name): name is Exclude<Server, 'gatehouse'> => name !== 'gatehouse');

async function startSession(upstreamUrl: string, sessionDir: string) {
  mkdirSync(sessionDir);
  const gatehouse = await start('gatehouse', upstreamUrl, sessionDir);
  const key = gatehouse.message.key as string;
  const targets: Partial<Record<Server, Target>> = {
    gatehouse: forked(gatehouse),
    baseline: forked(await start('baseline', upstreamUrl, sessionDir)),
  };
  if (servers.includes('fastify'))
    targets.fastify = forked(await start('fastify', upstreamUrl, sessionDir, key));
  if (nginx !== null) {
    const started = await startNginx(nginx, {
      upstreamUrl,
      dir: sessionDir,
      certFile: join(sessionDir, 'tls', 'server.pem'),
      keyFile: join(sessionDir, 'tls', 'server-key.pem'),
    });
    children.push(started.child);
    targets.nginx = { url: started.url, cpu: async () => null, stop: () => started.child.kill() };
  }
  return {
    targets: targets as Record<Server, Target>,
    key,
    ca: readFileSync(gatehouse.message.caFile as string),
  };
}

const upstream = await start('upstream');
console.log(
  `gateway benchmark: ${SESSIONS} sessions of fresh processes (${servers.join(', ')}), each ${WARMUP} s warm-up per server, then ${ROUNDS} rounds × ${DURATION} s per server (ABBA order); ${CONNECTIONS} connections, GET ${PATH} over TLS on loopback${PEERS.has('nginx') && nginx === null ? '; nginx is not installed' : ''}`,
);
const runs = Object.fromEntries(servers.map((name) => [name, [] as Run[]])) as Record<Server, Run[]>;
const ratios = Object.fromEntries(peers.map((name) => [name, [] as number[]])) as Record<string, number[]>;
const sessionRatios = Object.fromEntries(peers.map((name) => [name, [] as number[]])) as Record<
  string,
  number[]
>;
for (let session = 0; session < SESSIONS; session++) {
  const { targets, key, ca } = await startSession(upstream.message.url, join(dir, `session-${session + 1}`));
  const headers = { 'x-api-key': key };
  for (let warmed = 0; warmed < WARMUP; warmed += WARMUP_STEP) {
    for (const name of servers)
      await drive(targets[name], ca, headers, Math.min(WARMUP_STEP, WARMUP - warmed));
  }
  const thisSession = Object.fromEntries(peers.map((name) => [name, [] as number[]])) as Record<
    string,
    number[]
  >;
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? servers : [...servers].reverse();
    const roundRuns: Partial<Record<Server, Run>> = {};
    for (const name of order) {
      const run = await drive(targets[name], ca, headers, DURATION);
      if (run.non2xx > 0 || run.errors > 0)
        throw new Error(`${name}: ${run.non2xx} non-2xx responses, ${run.errors} errors`);
      runs[name].push(run);
      roundRuns[name] = run;
      const cpu = Number.isNaN(run.cpuMicrosPerRequest)
        ? '   –'
        : run.cpuMicrosPerRequest.toFixed(0).padStart(4);
      console.log(
        `  session ${session + 1} round ${round + 1} ${name.padEnd(9)} ${formatRate(run.requestsPerSecond).padStart(7)} req/s   p99 ${String(run.p99Ms).padStart(3)} ms   ${cpu} µs CPU/request`,
      );
    }
    const gate = (roundRuns.gatehouse as Run).requestsPerSecond;
    for (const peer of peers) {
      const ratio = gate / (roundRuns[peer] as Run).requestsPerSecond;
      ratios[peer]?.push(ratio);
      thisSession[peer]?.push(ratio);
    }
    console.log(
      `  session ${session + 1} round ${round + 1} gatehouse / ${peers.map((p) => `${p} ${(gate / (roundRuns[p] as Run).requestsPerSecond).toFixed(3)}`).join(', ')}`,
    );
  }
  for (const peer of peers) sessionRatios[peer]?.push(median(thisSession[peer] as number[]));
  for (const target of Object.values(targets)) target.stop();
}

const summary = (name: Server) => ({
  rps: median(runs[name].map((r) => r.requestsPerSecond)),
  p99: median(runs[name].map((r) => r.p99Ms)),
  cpu: median(runs[name].map((r) => r.cpuMicrosPerRequest)),
});
const figures = Object.fromEntries(servers.map((name) => [name, summary(name)]));
console.log('\nmedians over every round of every session');
for (const name of servers) {
  const { rps, p99, cpu } = figures[name] as ReturnType<typeof summary>;
  const label = name === 'gatehouse' ? 'gatehouse' : PEER_LABELS[name];
  console.log(
    `  ${label.padEnd(18)} ${formatRate(rps).padStart(7)} req/s   p99 ${p99} ms   ${Number.isNaN(cpu) ? '–' : cpu.toFixed(0)} µs CPU/request`,
  );
}
const headline: Record<string, number> = {};
for (const peer of peers) {
  const all = ratios[peer] as number[];
  headline[`gatehouse/${peer === 'baseline' ? 'bare_proxy' : peer}`] = Number(median(all).toFixed(3));
  console.log(
    `  ratio gatehouse / ${PEER_LABELS[peer]}: ${median(all).toFixed(3)} (rounds ${spread(all)}; sessions' medians ${(sessionRatios[peer] as number[]).map((r) => r.toFixed(3)).join(', ')})`,
  );
}
console.log(
  JSON.stringify({
    bench: 'gateway',
    ratios: headline,
    figures: { ...figures, sessions: SESSIONS, rounds: ROUNDS, session_ratios: sessionRatios },
  }),
);
process.exit(0);
