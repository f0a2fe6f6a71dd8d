/**
 * `npm run bench:webhooks`: sustained signed webhook deliveries per second through the durable queue
 * (publish → queue → claim → sign → HTTPS POST → result committed), on SQLite and on PostgreSQL,
 * next to the raw rate of plain undici POSTs to the same receiver at the same concurrency (the
 * limit). Everything runs on 127.0.0.1 and stops by itself.
 *
 *   npm run bench:webhooks -- [--runs 3] [--seconds 5] [--concurrency 32]
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
import { formatRate, type Measurement, printComparison } from './harness.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '32' },
    only: { type: 'string', default: 'raw,sqlite,postgres' },
  },
});
const RUNS = Number(values.runs);
const SECONDS = Number(values.seconds);
const CONCURRENCY = Number(values.concurrency);
const ONLY = new Set(values.only.split(','));
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

/** Counts what the receiver got during `SECONDS`, after a warm-up. */
async function rateOver(): Promise<number> {
  await sleep(WARMUP_MS);
  const start = count();
  const started = performance.now();
  await sleep(SECONDS * 1000);
  return ((count() - start) / (performance.now() - started)) * 1000;
}

/** The limit: plain keep-alive undici POSTs of a same-sized signed-looking body, nothing stored. */
async function rawPosts(): Promise<number> {
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
async function throughGatehouse(database: 'sqlite' | 'postgres'): Promise<number> {
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
    await services.webhooks.endpoints.create(
      {
        integrator_id: integrator.id,
        environment: 'production',
        url: `${receiverUrl}/gatehouse`,
        event_types: ['order.paid'],
      },
      context,
    );
    services.webhooks.worker.start();
    const base = count();
    let published = 0;
    let running = true;
    const publishers = Array.from({ length: PUBLISHERS }, async () => {
      while (running) {
        if (published - (count() - base) > MAX_BACKLOG) {
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

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

const withPostgres = await postgresReachable();
console.log(
  `Node ${process.version}, ${new Date().toISOString()}: ${RUNS} runs of ${SECONDS} s, concurrency ${CONCURRENCY}` +
    (withPostgres ? '' : ' (PostgreSQL not reachable: skipped)'),
);
const results: Record<string, number[]> = { raw: [], sqlite: [], postgres: [] };
try {
  for (let run = 1; run <= RUNS; run++) {
    if (ONLY.has('raw')) results.raw?.push(await rawPosts());
    if (ONLY.has('sqlite')) results.sqlite?.push(await throughGatehouse('sqlite'));
    if (withPostgres && ONLY.has('postgres')) results.postgres?.push(await throughGatehouse('postgres'));
    const line = Object.entries(results)
      .filter(([, rates]) => rates.length === run)
      .map(([name, rates]) => `${name} ${formatRate(rates[run - 1] as number)}/s`)
      .join(', ');
    console.log(`  run ${run}: ${line}`);
  }
  const measurement = (name: string, rates: number[]): Measurement => ({
    name,
    opsPerSecond: median(rates),
    operations: rates.length,
  });
  const others = [measurement('signed deliveries via durable queue, SQLite', results.sqlite ?? [])];
  if (withPostgres)
    others.push(measurement('signed deliveries via durable queue, PostgreSQL', results.postgres ?? []));
  printComparison(
    `Webhook deliveries/s to a local HTTPS receiver (median of ${RUNS} runs)`,
    measurement(`raw undici POST, concurrency ${CONCURRENCY}`, results.raw ?? []),
    others,
  );
} finally {
  receiver.postMessage('close');
  await new Promise((resolve) => receiver.once('exit', resolve));
  rmSync(dir, { recursive: true, force: true });
}
