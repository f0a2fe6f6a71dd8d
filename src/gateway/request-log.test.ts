import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { generateCredential } from '../crypto/key-format.ts';
import { jsonString } from '../log/line-writer.ts';
import { createLogger } from '../log/logger.ts';
import type { Caller } from './auth-strategy.ts';
import { createRequestLog, type RequestRecord } from './request-log.ts';

const capture = (level: 'info' | 'warn' = 'info') => {
  const lines: string[] = [];
  const logger = createLogger({
    level,
    destination: { write: (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean)) },
  });
  return { logger, lines };
};
const endOfTurn = () => new Promise((resolve) => setImmediate(resolve));

const caller: Caller = {
  kind: 'api_key',
  credentialId: '01a2-key',
  integratorId: '01a2-integrator',
  environment: 'sandbox',
  scopes: ['orders:read'],
  scope: 'orders:read',
  rateLimit: null,
};

const record = (extra: Partial<RequestRecord> = {}): RequestRecord => ({
  requestId: 'req-1',
  started: performance.now(),
  method: 'GET',
  target: '/v1/orders/7',
  ip: '203.0.113.9',
  userAgent: 'curl/8.5',
  bodyPending: false,
  route: '/v1/orders/{id}',
  caller,
  credentialId: null,
  integratorId: null,
  code: null,
  upstreamStatus: 200,
  ...extra,
});

it('writes the same line pino itself would write for these fields', async () => {
  const { logger, lines } = capture();
  createRequestLog(logger)(record(), 200);
  await endOfTurn();
  const ours = JSON.parse(lines[0] as string);
  const { level, time, service, component, msg, ...fields } = ours;
  logger.child({ component: 'gateway' }).info(fields, 'gateway request');
  const pinos = JSON.parse(lines[1] as string);
  assert.deepEqual(Object.keys(ours), Object.keys(pinos));
  assert.deepEqual({ ...ours, time: null }, { ...pinos, time: null });
  assert.equal(level, 'info');
  assert.match(time, /^\d{4}-\d\d-\d\dT/);
  const { latency_ms, ...stable } = fields;
  assert.deepEqual(stable, {
    request_id: 'req-1',
    method: 'GET',
    route: '/v1/orders/{id}',
    path: '/v1/orders/7',
    status: 200,
    credential_id: '01a2-key',
    integrator_id: '01a2-integrator',
    environment: 'sandbox',
    ip: '203.0.113.9',
    user_agent: 'curl/8.5',
    code: null,
    upstream_status: 200,
  });
  assert.equal(typeof latency_ms, 'number');
});

it('redacts secret-looking query values and credential-shaped strings in the path and user agent', async () => {
  const { logger, lines } = capture();
  const key = generateCredential('gate', 'live');
  createRequestLog(logger)(
    record({
      target: `/v1/orders/${key}?api_key=${key}&page=2`,
      userAgent: `bot ${key}`,
      caller: null,
      code: 'key_unknown',
    }),
    401,
  );
  await endOfTurn();
  assert.ok(!lines[0]?.includes(key));
  const line = JSON.parse(lines[0] as string);
  assert.equal(line.path, '/v1/orders/[redacted]?api_key=[redacted]&page=2');
  assert.equal(line.user_agent, 'bot [redacted]');
  assert.equal(line.credential_id, null);
});

it('writes nothing when the level is above info', async () => {
  const { logger, lines } = capture('warn');
  createRequestLog(logger)(record(), 200);
  await endOfTurn();
  assert.deepEqual(lines, []);
});

it('writes the lines of one event-loop turn together, in order, once the turn ends', async () => {
  const writes: string[] = [];
  const logger = createLogger({
    level: 'info',
    destination: { write: (chunk: string) => writes.push(chunk) },
  });
  const log = createRequestLog(logger);
  log(record({ requestId: 'req-1' }), 200);
  log(record({ requestId: 'req-2' }), 404);
  assert.equal(writes.length, 0);
  await endOfTurn();
  assert.equal(writes.length, 1);
  const lines = (writes[0] as string)
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
  assert.deepEqual(
    lines.map((line) => [line.request_id, line.status]),
    [
      ['req-1', 200],
      ['req-2', 404],
    ],
  );
  log(record({ requestId: 'req-3' }), 200);
  await endOfTurn();
  assert.equal(writes.length, 2);
});

it('quotes any string exactly as JSON.stringify does', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constant(null)), (value) => {
      assert.equal(jsonString(value), JSON.stringify(value));
    }),
    { numRuns: 2000 },
  );
});

it('keeps a user agent with quotes, backslashes and control characters valid JSON', async () => {
  const { logger, lines } = capture();
  const userAgent = 'evil "agent" \\ \u0000\n\u2028 ✓';
  createRequestLog(logger)(record({ userAgent, route: null, caller: null, upstreamStatus: null }), 401);
  await endOfTurn();
  const line = JSON.parse(lines[0] as string);
  assert.equal(line.user_agent, userAgent);
  assert.equal(line.route, null);
  assert.equal(line.environment, null);
  assert.equal(line.upstream_status, null);
});
