import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../support/eventually.ts';
import { newIntegrator, newKey } from '../support/fixtures.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { type RecordingUpstream, startRecordingUpstream } from '../support/upstream.ts';

const GATEWAY_FILE = `
routes:
  - method: GET
    path: /v1/orders/{id}
    scopes: []
rate_limits:
  per_credential: { requests_per_second: 1000, burst: 1000 }
  per_ip: { requests_per_second: 10000, burst: 10000 }
`;
const GOOD = 7;
const AUTH_FAILURES = 4;
const BURST = 2;
const LIMITED = 3;

const promtool = spawnSync('promtool', ['--version']).status === 0;
const PROMTOOL_SKIP = 'promtool is not installed (apt-get install prometheus)';

/** The value of one sample line `name{labels} value`, labels as written by prom-client; 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const body = line.slice(name.length + 1, line.lastIndexOf('}'));
    const found = Object.fromEntries(
      [...body.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] as string, m[2] as string]),
    );
    if (Object.entries(labels).every(([k, v]) => found[k] === v))
      return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

function total(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n'))
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

describe('GET /metrics on the admin port', () => {
  let server: TestServer;
  let upstream: RecordingUpstream;

  before(async () => {
    upstream = await startRecordingUpstream('production');
    server = await startTestServer({
      name: 'metrics',
      gatewayFile: GATEWAY_FILE,
      env: { GATEHOUSE_UPSTREAM_PRODUCTION: upstream.url },
    });
  });
  after(async () => {
    await server?.close();
    await upstream?.close();
  });

  const scrape = async () => {
    const response = await server.admin('GET', '/metrics');
    assert.equal(response.status, 200, response.text);
    assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    return response.text;
  };

  it('needs an admin token', async () => {
    const response = await server.admin('GET', '/metrics', { token: null });
    assert.equal(response.status, 401);
  });

  it('counts the data thread’s requests, auth failures and rate limits exactly', async () => {
    const integratorId = await newIntegrator(server, { name: 'Metrics Corp' });
    const good = await newKey(server, { integrator_id: integratorId, environment: 'production' });
    const limited = await newKey(server, {
      integrator_id: integratorId,
      environment: 'production',
      rate_limit: { requests_per_second: 0.001, burst: BURST },
    });
    const before = await scrape();
    for (let i = 0; i < GOOD; i++) {
      const response = await server.data(`/v1/orders/${i}`, { headers: { 'x-api-key': good.key } });
      assert.equal(response.status, 200, response.text);
    }
    const reasons = new Map<string, number>();
    for (let i = 0; i < AUTH_FAILURES; i++) {
      const response = await server.data('/v1/orders/1', {
        headers: { 'x-api-key': `${good.key.slice(0, -4)}AAAA` },
      });
      assert.equal(response.status, 401, response.text);
      reasons.set(response.json.code, (reasons.get(response.json.code) ?? 0) + 1);
    }
    for (let i = 0; i < BURST + LIMITED; i++) {
      const response = await server.data('/v1/orders/9', { headers: { 'x-api-key': limited.key } });
      assert.equal(response.status, i < BURST ? 200 : 429, response.text);
    }
    const labels = { route: '/v1/orders/{id}', environment: 'production' };
    const expected200 =
      sample(before, 'gatehouse_http_requests_total', { ...labels, status: '200' }) + GOOD + BURST;
    const text = await eventually(
      async () => {
        const text = await scrape();
        return sample(text, 'gatehouse_http_requests_total', { ...labels, status: '429' }) >= LIMITED &&
          sample(text, 'gatehouse_http_requests_total', { ...labels, status: '200' }) >= expected200 &&
          total(text, 'gatehouse_auth_failures_total') >= AUTH_FAILURES
          ? text
          : false;
      },
      { what: 'the data thread’s counters in /metrics' },
    );
    assert.equal(sample(text, 'gatehouse_http_requests_total', { ...labels, status: '200' }), expected200);
    assert.equal(sample(text, 'gatehouse_http_requests_total', { ...labels, status: '429' }), LIMITED);
    assert.equal(total(text, 'gatehouse_auth_failures_total'), AUTH_FAILURES);
    for (const [reason, count] of reasons)
      assert.equal(sample(text, 'gatehouse_auth_failures_total', { reason }), count);
    assert.equal(sample(text, 'gatehouse_rate_limited_total', { limit: 'credential' }), LIMITED);
    assert.equal(
      sample(text, 'gatehouse_http_request_duration_seconds_count', { route: '/v1/orders/{id}' }),
      expected200 + LIMITED,
    );
    // No raw path, no secret in any label.
    assert.doesNotMatch(text, /\/v1\/orders\/\d/);
    assert.ok(!text.includes(good.key) && !text.includes(limited.key));
    assert.match(text, /^process_cpu_seconds_total /m);
    assert.match(text, /^# TYPE gatehouse_alerts_total counter$/m);
    assert.match(text, /^# TYPE gatehouse_webhook_queue_depth gauge$/m);
  });

  it('passes promtool check metrics', {
    skip: !promtool && !process.env.CI ? PROMTOOL_SKIP : false,
  }, async () => {
    assert.ok(promtool, PROMTOOL_SKIP);
    const text = await scrape();
    const checked = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(checked.status, 0, `${checked.stdout}${checked.stderr}`);
  });
});
