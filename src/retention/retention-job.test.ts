import assert from 'node:assert/strict';
import { it, mock } from 'node:test';
import { EnvReader } from '../config/env-reader.ts';
import { createLogger } from '../log/logger.ts';
import { readRetentionConfig } from './retention-config.ts';
import { RetentionJob } from './retention-job.ts';
import type { ClassPurger } from './retention-purge.ts';

/** A class of `rows` old rows that a purge removes `batchSize` at a time. */
function fakePurger(rows: number): ClassPurger & { batches: number; left: () => number } {
  let left = rows;
  const purger = {
    batches: 0,
    left: () => left,
    count: async () => ({ fake: left }),
    purgeBatch: async (_cutoff: number, batchSize: number) => {
      purger.batches++;
      const removed = Math.min(left, batchSize);
      left -= removed;
      return { fake: removed };
    },
  };
  return purger;
}

function logSink(): { lines: Record<string, unknown>[]; write(line: string): void } {
  const lines: Record<string, unknown>[] = [];
  return { lines, write: (line: string) => void lines.push(JSON.parse(line)) };
}

it('the job purges each class in batches until a batch removes nothing, and logs one line of counts per run', async () => {
  const usage = fakePurger(2500);
  const log = logSink();
  const job = new RetentionJob({
    config: readRetentionConfig(new EnvReader({})),
    purgers: { USAGE: usage },
    logger: createLogger({ level: 'info', destination: log }),
  });
  const report = await job.run({ dryRun: false, batchSize: 1000 });
  assert.equal(usage.left(), 0);
  assert.equal(usage.batches, 4);
  assert.equal(report.rows, 2500);
  const lines = log.lines.filter((line) => line.msg === 'retention purge finished');
  assert.equal(lines.length, 1);
  assert.deepEqual((lines[0] as { rows: unknown }).rows, {
    USAGE: 2500,
    WEBHOOK_PAYLOADS: 0,
    SECURITY_EVENTS: 0,
    ALERTS: 0,
    IDEMPOTENCY: 0,
    AUDIT: 0,
  });
  await job.close();
});

it('a dry run only counts, and a class kept forever is never asked', async () => {
  const alerts = fakePurger(10);
  const job = new RetentionJob({
    config: readRetentionConfig(new EnvReader({ GATEHOUSE_RETENTION_ALERTS: 'forever' })),
    purgers: { ALERTS: alerts, SECURITY_EVENTS: fakePurger(3) },
    logger: createLogger({ level: 'silent' }),
  });
  const report = await job.run({ dryRun: true });
  const byClass = new Map(report.classes.map((entry) => [entry.class, entry]));
  assert.equal(byClass.get('ALERTS')?.outcome, 'kept_forever');
  assert.deepEqual(byClass.get('SECURITY_EVENTS')?.tables, { fake: 3 });
  assert.equal(alerts.batches, 0);
  assert.equal(report.rows, 3);
  await job.close();
});

it('the scheduled purge runs a minute after start, then every GATEHOUSE_PURGE_INTERVAL, and not after close', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  try {
    let runs = 0;
    const purger: ClassPurger = {
      count: async () => ({}),
      purgeBatch: async () => {
        runs++;
        return { fake: 0 };
      },
    };
    const job = new RetentionJob({
      config: readRetentionConfig(new EnvReader({ GATEHOUSE_PURGE_INTERVAL: '10m' })),
      purgers: { USAGE: purger },
      logger: createLogger({ level: 'silent' }),
    });
    job.start();
    mock.timers.tick(59_000);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(runs, 0);
    mock.timers.tick(1_000);
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(runs, 1);
    mock.timers.tick(600_000);
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(runs, 2);
    await job.close();
    mock.timers.tick(600_000);
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(runs, 2);
  } finally {
    mock.timers.reset();
  }
});

it('a class whose purge fails is reported failed with its reason, and the other classes still run', async () => {
  const events = fakePurger(5);
  const log = logSink();
  const job = new RetentionJob({
    config: readRetentionConfig(new EnvReader({})),
    purgers: {
      USAGE: { count: async () => ({}), purgeBatch: async () => Promise.reject(new Error('disk full')) },
      SECURITY_EVENTS: events,
    },
    logger: createLogger({ level: 'info', destination: log }),
  });
  const report = await job.run({ dryRun: false });
  const usage = report.classes.find((entry) => entry.class === 'USAGE');
  assert.equal(usage?.outcome, 'failed');
  assert.equal(usage?.note, 'disk full');
  assert.equal(events.left(), 0);
  assert.ok(
    log.lines.some((line) => line.msg === 'a retention class could not be purged' && line.class === 'USAGE'),
  );
  await job.close();
});
