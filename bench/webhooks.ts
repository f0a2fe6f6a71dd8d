/**
 * `npm run bench:webhooks`: sustained signed webhook deliveries per second through the durable queue
 * (publish → queue → sign → HTTPS POST → result committed), on SQLite and on PostgreSQL, with 1
 * endpoint and with 50 (each event fans out to all of them), next to the raw rate of plain undici
 * POSTs to the same receiver at the same concurrency (the limit). Each run measures raw POSTs before
 * and after its Gatehouse runs and compares each with their mean; every Gatehouse run is a fresh
 * store and a fresh set of services. The headline ratios are medians over the runs. Everything runs
 * on 127.0.0.1 and stops by itself; the last line is `{"bench":"webhooks","ratios":{…},"figures":{…}}`.
 *
 *   npm run bench:webhooks -- [--runs 3] [--seconds 5] [--concurrency 32] [--only raw,sqlite,postgres]
 *     [--endpoints 1,50]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { Agent, request } from 'undici';
import { createLogger, logDestination } from '../src/log/logger.ts';
import { loadConfig } from '../src/server/config.ts';
import { createServices } from '../src/server/services.ts';
import { ensureDevelopmentCertificate } from '../src/tls/development-certificate.ts';
import { formatRate, median } from './harness.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '32' },
    only: { type: 'string', default: 'raw,sqlite,postgres' },
    endpoints: { type: 'string', default: '1,50' },
  },
});
const RUNS = Number(values.runs);
const SECONDS = Number(values.seconds);
const CONCURRENCY = Number(values.concurrency);
const ONLY = new Set(values.only.split(','));
const ENDPOINT_COUNTS = values.endpoints.split(',').map(Number);
const WARMUP_MS = 1500;
const PUBLISHERS = 64;
const MAX_BACKLOG = 4000;
const POSTGRES_URL = process.env.GATEHOUSE_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SAMPLE_DATA = {
  order_id: 'ord_8c1f2b7e',
  amount: 4999,
  currency: 'EUR',
  customer: { id: 'cus_41d2', email: 'buyer@example.test' },
  items: [{ sku: 'SKU-1', quantity: 2 }],
};

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-webhooks-'));
const tls = await ensureDevelopmentCertificate(dir);
const counter = new SharedArrayBuffer(4);
const received = new Int32Array(counter);
const receiver = new Worker(new URL('./webhook-receiver-thread.ts', import.meta.url), {
  workerData: { certFile: tls.certFile, keyFile: tls.keyFile, counter },
});
const port = await new Promise<number>((resolve) =>
  receiver.once('message', (message: { port: number }) => resolve(message.port)),
);
const receiverUrl = `https://127.0.0.1:${port}`;
const count = () => Atomics.load(received, 0);

interface Measured {
  readonly rate: number;
  /** CPU time of this (the sending) thread per request the receiver got: steadier than the rate on a shared machine. */
  readonly cpuMicros: number;
}

/** Counts what the receiver got during `SECONDS`, after a warm-up. */
async function rateOver(): Promise<Measured> {
  await sleep(WARMUP_MS);
  const start = count();
  const cpu = process.threadCpuUsage();
  const started = performance.now();
  await sleep(SECONDS * 1000);
  const { user, system } = process.threadCpuUsage(cpu);
  const received = count() - start;
  return { rate: (received / (performance.now() - started)) * 1000, cpuMicros: (user + system) / received };
}

/** The limit: plain keep-alive undici POSTs of a same-sized signed-looking body, nothing stored. */
async function rawPosts(): Promise<Measured> {
  const agent = new Agent({ connect: { ca: readFileSync(tls.caFile) }, keepAliveTimeout: 10_000 });
  const body = Buffer.from(
    JSON.stringify({ type: 'order.paid', timestamp: new Date().toISOString(), data: SAMPLE_DATA }),
  );
  const headers = {
    'content-type': 'application/json',
    'webhook-id': '0190a7e2-1c4b-7d2e-9f00-1234567890ab',
    'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
    'webhook-signature': `v1,${randomBytes(32).toString('base64')}`,
  };
  let running = true;
  const workers = Array.from({ length: CONCURRENCY }, async () => {
    while (running) {
      const response = await request(`${receiverUrl}/raw`, {
        method: 'POST',
        headers,
        body,
        dispatcher: agent,
      });
      await response.body.dump();
    }
  });
  const rate = await rateOver();
  running = false;
  await Promise.all(workers);
  await agent.close();
  return rate;
}

/** Publishes as fast as the queue takes it (bounded backlog) and counts signed deliveries. */
async function throughGatehouse(database: 'sqlite' | 'postgres', endpoints: number): Promise<Measured> {
  const dataDir = mkdtempSync(join(dir, `${database}-`));
  let schema: string | undefined;
  const env: Record<string, string> = {
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_PEPPER: randomBytes(32).toString('base64url'),
    GATEHOUSE_ENCRYPTION_KEYS: `1:${randomBytes(32).toString('base64')}`,
    GATEHOUSE_WEBHOOK_ALLOW_PRIVATE: '1',
    GATEHOUSE_WEBHOOK_CA_FILE: tls.caFile,
    GATEHOUSE_WEBHOOK_ENDPOINT_CONCURRENCY: String(CONCURRENCY),
    GATEHOUSE_WEBHOOK_MAX_IN_FLIGHT: String(CONCURRENCY * 2),
  };
  if (database === 'postgres') {
    schema = `gh_bench_${randomBytes(4).toString('hex')}`;
    await adminQuery(`create schema ${schema}`);
    const url = new URL(POSTGRES_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    env.GATEHOUSE_DATABASE_URL = url.toString();
  }
  // The per-attempt log line is part of the cost, so it is written (to /dev/null), not skipped.
  const logger = createLogger({
    level: 'info',
    destination: logDestination('/dev/null'),
  });
  const services = await createServices(loadConfig(env), logger);
  const context = { actor: { type: 'system' as const, id: null, name: 'bench' } };
  try {
    const integrator = await services.integrators.create({ name: 'Bench' }, context);
    await services.webhooks.catalog.create({ name: 'order.paid', schema: { type: 'object' } }, context);
    for (let n = 0; n < endpoints; n++) {
      await services.webhooks.endpoints.create(
        {
          integrator_id: integrator.id,
          environment: 'production',
          url: `${receiverUrl}/gatehouse/${n}`,
          event_types: ['order.paid'],
        },
        context,
      );
    }
    services.webhooks.worker.start();
    const base = count();
    let published = 0;
    let running = true;
    const publishers = Array.from({ length: PUBLISHERS }, async () => {
      while (running) {
        if (published * endpoints - (count() - base) > MAX_BACKLOG) {
          await sleep(2);
          continue;
        }
        await services.webhooks.publisher.publish({
          type: 'order.paid',
          integrator_id: integrator.id,
          environment: 'production',
          data: SAMPLE_DATA,
        });
        published++;
      }
    });
    const rate = await rateOver();
    running = false;
    await Promise.all(publishers);
    return rate;
  } finally {
    await services.webhooks.close();
    await services.close();
    if (schema) await adminQuery(`drop schema ${schema} cascade`);
  }
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function postgresReachable(): Promise<boolean> {
  try {
    await adminQuery('select 1');
    return true;
  } catch {
    return false;
  }
}

const withPostgres = ONLY.has('postgres') && (await postgresReachable());
const scenarios: { name: string; run: () => Promise<Measured> }[] = [];
for (const database of ['sqlite', 'postgres'] as const) {
  if (!ONLY.has(database) || (database === 'postgres' && !withPostgres)) continue;
  for (const endpoints of ENDPOINT_COUNTS)
    scenarios.push({ name: `${database}_${endpoints}`, run: () => throughGatehouse(database, endpoints) });
}
console.log(
  `Node ${process.version}, ${new Date().toISOString()}: ${RUNS} runs of ${SECONDS} s, concurrency ${CONCURRENCY}` +
    (ONLY.has('postgres') && !withPostgres ? ' (PostgreSQL not reachable: skipped)' : ''),
);
const rates: Record<string, number[]> = { raw: [] };
const cpu: Record<string, number[]> = { raw: [] };
const ratios: Record<string, number[]> = {};
const record = (name: string, measured: Measured) => {
  rates[name] = [...(rates[name] ?? []), measured.rate];
  cpu[name] = [...(cpu[name] ?? []), measured.cpuMicros];
};
try {
  for (let run = 1; run <= RUNS; run++) {
    const before = await rawPosts();
    const measured = new Map<string, Measured>();
    for (const scenario of scenarios) measured.set(scenario.name, await scenario.run());
    const after = await rawPosts();
    const raw = (before.rate + after.rate) / 2;
    record('raw', { rate: raw, cpuMicros: (before.cpuMicros + after.cpuMicros) / 2 });
    const parts = [`raw ${formatRate(raw)}/s`];
    for (const [name, result] of measured) {
      record(name, result);
      ratios[name] = [...(ratios[name] ?? []), result.rate / raw];
      parts.push(`${name} ${formatRate(result.rate)}/s (${(result.rate / raw).toFixed(3)}×)`);
    }
    console.log(`  run ${run}: ${parts.join(', ')}`);
  }
  console.log(
    `\nSigned deliveries/s through the durable queue against raw undici POSTs (median of ${RUNS} runs),` +
      " and the sending thread's CPU per delivery",
  );
  const cpuOf = (name: string) => `${Math.round(median(cpu[name] ?? []))} µs`;
  console.log(
    `  raw undici POST, concurrency ${CONCURRENCY}`.padEnd(40) +
      `${formatRate(median(rates.raw ?? []))}/s  ${cpuOf('raw')}`,
  );
  for (const [name, values] of Object.entries(ratios)) {
    const spread = `${Math.min(...values).toFixed(3)}–${Math.max(...values).toFixed(3)}`;
    console.log(
      `  ${name.replace(/_(\d+)$/, (_, n: string) => `, ${n} endpoint${n === '1' ? '' : 's'}`)}`.padEnd(40) +
        `${formatRate(median(rates[name] ?? []))}/s  ${cpuOf(name)}  ${median(values).toFixed(3)}× (runs ${spread})`,
    );
  }
  const figures = Object.fromEntries([
    ...Object.entries(rates).map(([name, values]) => [`${name}_per_second`, Math.round(median(values))]),
    ...Object.entries(cpu).map(([name, values]) => [`${name}_cpu_us`, Math.round(median(values))]),
  ]);
  const headline = Object.fromEntries(
    Object.entries(ratios).map(([name, values]) => [`${name}_vs_raw`, Number(median(values).toFixed(3))]),
  );
  console.log(JSON.stringify({ bench: 'webhooks', ratios: headline, figures }));
} finally {
  receiver.postMessage('close');
  await new Promise((resolve) => receiver.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
}
