import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ACCESS_CSV_COLUMNS } from '../../src/access-review/access-csv.ts';
import { runGatehouse } from '../support/cli.ts';
import { readUntil } from '../support/eventually.ts';
import { newIntegrator, newKey } from '../support/fixtures.ts';
import { parseCsv } from '../support/rfc4180.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { type RecordingUpstream, startRecordingUpstream } from '../support/upstream.ts';

const GATEWAY_FILE = `
routes:
  - { method: GET, path: "/v1/orders/{id}", scopes: [] }
monitoring:
  usage: { flush_interval_ms: 200 }
`;
// What an attacker who can name a credential would like a terminal or a spreadsheet to run.
const HOSTILE_NAME = '=HYPERLINK("https://attacker.example","open") \u001b[2J';

describe('gatehouse incident timeline and gatehouse report access against the running server', () => {
  let server: TestServer;
  let upstream: RecordingUpstream;
  let cliEnv: Record<string, string>;
  let key: { id: string; key: string };
  let hostile: { id: string; key: string };
  const gatehouse = (...args: string[]) => runGatehouse(args, cliEnv);

  before(async () => {
    upstream = await startRecordingUpstream('production');
    server = await startTestServer({
      name: 'timeline-cli',
      gatewayFile: GATEWAY_FILE,
      env: { GATEHOUSE_UPSTREAM_PRODUCTION: upstream.url },
    });
    cliEnv = {
      ...server.env,
      PATH: process.env.PATH ?? '',
      GATEHOUSE_ADMIN_URL: server.adminUrl,
      GATEHOUSE_CA_FILE: join(server.dataDir, 'tls', 'ca.pem'),
    };
    const integratorId = await newIntegrator(server, { name: 'Review Corp' });
    key = await newKey(server, {
      integrator_id: integratorId,
      environment: 'production',
      scopes: ['orders:read'],
    });
    hostile = await newKey(server, { integrator_id: integratorId, name: HOSTILE_NAME });
    assert.equal((await server.data('/v1/orders/1', { headers: { 'x-api-key': key.key } })).status, 200);
    assert.equal((await server.data('/v1/missing', { headers: { 'x-api-key': key.key } })).status, 404);
    // Usage is written off the request path: wait until the server has it, then ask the CLI.
    await readUntil(
      () => server.admin('GET', `/admin/v1/credentials/${key.id}/timeline`),
      (response) => response.json?.totals?.requests === 2,
      { timeoutMs: 15_000, what: 'the usage of the key' },
    );
  });
  after(async () => {
    await server?.close();
    await upstream?.close();
  });

  it('timeline --json is the API’s report; the table shows the requests, the address and the creation', async () => {
    const json = await gatehouse('incident', 'timeline', '--credential', key.id, '--since', '1h', '--json');
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout);
    assert.deepEqual(report.totals, { requests: 2, '2xx': 1, '3xx': 0, '4xx': 1, '5xx': 0 });
    assert.deepEqual(
      report.entries.map((entry: { type: string }) => entry.type).filter((type: string) => type !== 'usage'),
      ['admin_action', 'new_ip'],
    );

    const text = await gatehouse('incident', 'timeline', '--credential', key.id);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /key\.create by /);
    assert.match(text.stdout, /first use from this address\s+127\.0\.0\.1/);
    assert.match(text.stdout, /2 requests \(2xx 1, 4xx 1\)/);
    assert.match(text.stdout, /Requests: 2 \(2xx 1, 3xx 0, 4xx 1, 5xx 0\)/);
    assert.ok(!text.stdout.includes(key.key), 'no secret printed');
  });

  it('timeline refusals are one readable line and a non-zero exit', async () => {
    const badPeriod = await gatehouse(
      'incident',
      'timeline',
      '--credential',
      key.id,
      '--since',
      'last tuesday',
    );
    assert.equal(badPeriod.code, 1);
    assert.match(badPeriod.stderr, /validation_failed, HTTP 400/);
    assert.match(badPeriod.stderr, /querystring:\/since: must be an ISO 8601/);
    const unknown = await gatehouse(
      'incident',
      'timeline',
      '--credential',
      '01970000-0000-7000-8000-000000000000',
    );
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /not_found, HTTP 404/);
    const traversal = await gatehouse('incident', 'timeline', '--credential', '../../keys');
    assert.equal(traversal.code, 1);
    assert.match(traversal.stderr, /HTTP 400/);
    const missing = await gatehouse('incident', 'timeline');
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /--credential/);
  });

  it('report access --format csv opens with the documented header and parses back, every credential and admin token a row', async () => {
    const result = await gatehouse('report', 'access', '--format', 'csv');
    assert.equal(result.code, 0, result.stderr);
    const [header, ...rows] = parseCsv(result.stdout);
    assert.deepEqual(header, [...ACCESS_CSV_COLUMNS]);
    assert.ok(result.stdout.startsWith(`${ACCESS_CSV_COLUMNS.join(',')}\r\n`));
    const byId = new Map(
      rows.map((row) => [row[1], Object.fromEntries(header.map((name, i) => [name, row[i]]))]),
    );
    const used = byId.get(key.id);
    assert.ok(used, 'the used key has a row');
    assert.equal(used.credential_type, 'api_key');
    assert.equal(used.integrator_name, 'Review Corp');
    assert.equal(used.scopes, 'orders:read');
    assert.equal(used.ips_seen, '1');
    assert.equal(used.recent_ips, '127.0.0.1');
    assert.equal(used.rotation_due, 'false');
    assert.equal(used.unused, 'false');
    assert.equal(used.role, '');
    assert.equal(byId.get(hostile.id)?.name, `'${HOSTILE_NAME}`, 'a formula is written as text');
    const owners = rows.filter((row) => row[0] === 'admin_token' && row[3] === 'owner');
    assert.equal(owners.length, 1);
  });

  it('report access --json has the admin tokens with roles and last use; the table is safe to print', async () => {
    const json = await gatehouse('report', 'access', '--json');
    assert.equal(json.code, 0, json.stderr);
    const review = JSON.parse(json.stdout);
    const owner = review.admin_tokens.find((token: { role: string }) => token.role === 'owner');
    assert.ok(owner.last_used_at, 'the owner token was used by this test');
    assert.equal(owner.days_since_last_use, 0);
    assert.equal(review.policy.rotation_age_days, 90);
    assert.deepEqual(
      JSON.parse((await gatehouse('report', 'access', '--format', 'json')).stdout).data,
      review.data,
    );

    const text = await gatehouse('report', 'access');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Admin tokens:/);
    assert.ok(!text.stdout.includes('\u001b'), 'no escape sequence reaches the terminal');
    assert.ok(text.stdout.includes('?[2J'));

    const wrong = await gatehouse('report', 'access', '--format', 'xml');
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /table, json, csv/);
  });

  it('an auditor runs both commands; an API key in place of an admin token is refused without being echoed', async () => {
    const auditor = await server.admin('POST', '/admin/v1/admin-tokens', {
      body: { name: 'reviewer', role: 'auditor' },
    });
    assert.equal(auditor.status, 201, auditor.text);
    const asAuditor = (...args: string[]) =>
      runGatehouse(args, { ...cliEnv, GATEHOUSE_ADMIN_TOKEN: auditor.json.token });
    const review = await asAuditor('report', 'access', '--json');
    assert.equal(review.code, 0, review.stderr);
    assert.ok(
      JSON.parse(review.stdout).admin_tokens.some((token: { name: string }) => token.name === 'reviewer'),
    );
    const timeline = await asAuditor('incident', 'timeline', '--credential', key.id, '--json');
    assert.equal(timeline.code, 0, timeline.stderr);
    const withKey = await runGatehouse(['report', 'access', '--format', 'csv'], {
      ...cliEnv,
      GATEHOUSE_ADMIN_TOKEN: key.key,
    });
    assert.equal(withKey.code, 1);
    assert.equal(withKey.stdout, '');
    assert.ok(!withKey.stderr.includes(key.key));
  });
});
