import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateCredential } from '../../src/crypto/key-format.ts';
import { createLogger } from '../../src/log/logger.ts';
import { loadConfig } from '../../src/server/config.ts';
import { type RunningGatehouse, startGatehouse } from '../../src/server/gatehouse.ts';
import { logFile, recordSecret } from '../support/artifacts.ts';
import { issueCertificate } from '../support/certificates.ts';
import { runGatehouse } from '../support/cli.ts';
import { createHttpsClient } from '../support/https-client.ts';
import { readmeBlocks } from '../support/readme-blocks.ts';
import { startTestServer } from '../support/test-server.ts';

interface Report {
  status: string;
  checks: { id: string; status: string; detail: string; fix: string }[];
}
interface DoctorOutput {
  status: string;
  configuration: Report;
  server: Report | null;
}

const README = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');

/** The README's production example, its paths moved under `dir` and its secret files written there. */
async function productionExample(dir: string): Promise<{ env: Record<string, string>; ownerToken: string }> {
  const block = readmeBlocks(README).find(
    (b) => b.section === 'Production checklist: `gatehouse doctor`' && b.language === 'ini',
  );
  assert.ok(block, 'the README has the production example');
  const documented = Object.fromEntries(
    block.text
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  const tls = await issueCertificate(mkdirOf(dir, 'tls'));
  const secrets = mkdirOf(dir, 'secrets');
  const ownerToken = recordSecret(generateCredential('gate', 'admin'));
  const secretFile = (name: string, value: string) => {
    writeFileSync(join(secrets, name), recordSecret(value), { mode: 0o600 });
    return join(secrets, name);
  };
  const moved: Record<string, string> = {
    GATEHOUSE_TLS_CERT_FILE: tls.certFile,
    GATEHOUSE_TLS_KEY_FILE: tls.keyFile,
    GATEHOUSE_PEPPER_FILE: secretFile('pepper', randomBytes(32).toString('base64url')),
    GATEHOUSE_ENCRYPTION_KEYS_FILE: secretFile('keys', `1:${randomBytes(32).toString('base64')}`),
    GATEHOUSE_ADMIN_TOKEN_FILE: secretFile('admin-token', ownerToken),
    GATEHOUSE_DATA_DIR: mkdirOf(dir, 'data'),
  };
  for (const name of Object.keys(moved)) assert.ok(name in documented, `the example sets ${name}`);
  const env = {
    ...documented,
    ...moved,
    // Ephemeral ports on loopback instead of 8443 and 9443; the CLI finds the server and its CA.
    GATEHOUSE_HOST: '127.0.0.1',
    GATEHOUSE_PORT: '0',
    GATEHOUSE_ADMIN_PORT: '0',
    GATEHOUSE_CA_FILE: tls.caFile,
    PATH: process.env.PATH ?? '',
  };
  return { env, ownerToken };
}

function mkdirOf(dir: string, name: string): string {
  mkdirSync(join(dir, name), { mode: 0o700 });
  return join(dir, name);
}

async function doctor(env: Record<string, string>, ...args: string[]) {
  const result = await runGatehouse(['doctor', '--json', ...args], env);
  const output = JSON.parse(result.stdout) as DoctorOutput;
  return { code: result.code, output };
}

const notPassing = (report: Report | null) =>
  (report?.checks ?? []).filter((c) => c.status !== 'pass').map((c) => `${c.id}:${c.status}`);
const statuses = (report: Report | null) =>
  Object.fromEntries((report?.checks ?? []).map((c) => [c.id, c.status]));
const DAY_MS = 86_400_000;

describe('gatehouse doctor on the documented production example, started for real', () => {
  let dir: string;
  let env: Record<string, string>;
  let gatehouse: RunningGatehouse;
  let client: ReturnType<typeof createHttpsClient>;
  let log: ReturnType<typeof logFile>;
  let headers: Record<string, string>;
  let integratorId: string;
  let keyId: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-doctor-'));
    const example = await productionExample(dir);
    log = logFile('doctor-production');
    gatehouse = await startGatehouse(loadConfig(example.env), {
      logger: createLogger({ level: 'debug', destination: log }),
    });
    env = { ...example.env, GATEHOUSE_ADMIN_URL: gatehouse.adminUrl };
    client = createHttpsClient(readFileSync(env.GATEHOUSE_CA_FILE as string));
    headers = { authorization: `Bearer ${example.ownerToken}` };
    const integrator = await client.send(`${gatehouse.adminUrl}/admin/v1/integrators`, {
      method: 'POST',
      headers,
      body: { name: 'Doctor Corp' },
    });
    const key = await client.send(`${gatehouse.adminUrl}/admin/v1/keys`, {
      method: 'POST',
      headers,
      body: { integrator_id: integrator.json.id, name: 'live key', environment: 'production' },
    });
    assert.equal(key.status, 201, key.text);
    recordSecret(key.json.key);
    integratorId = integrator.json.id;
    keyId = key.json.id;
  });

  after(async () => {
    await client?.close();
    await gatehouse?.close();
    await new Promise((resolve) => log?.end(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails only on the missing alert sink until one is added as the README says, then passes every item', async () => {
    const before = await doctor(env);
    assert.equal(before.code, 1);
    assert.deepEqual(notPassing(before.output.configuration), []);
    assert.deepEqual(notPassing(before.output.server), ['alert_sink:fail']);

    const sink = await runGatehouse(
      ['alert-sinks', 'create', '--name', 'on-call', '--type', 'email', '--to', 'oncall@example.com'],
      env,
    );
    assert.equal(sink.code, 0, sink.stderr);

    const { code, output } = await doctor(env);
    assert.equal(code, 0, JSON.stringify(output, null, 2));
    assert.equal(output.status, 'pass');
    assert.deepEqual(
      output.server?.checks.map((c) => c.id),
      [
        'production_mode',
        'secrets_configured',
        'tls_certificate',
        'admin_port_private',
        'data_dir_private',
        'certificate_validation',
        'log_redaction',
        'retention_set',
        'rotation_policy',
        'shared_state',
        'plain_http_refused',
        'webhook_endpoints_signed',
        'alert_sink',
        'credential_age',
      ],
    );
    assert.match(
      output.server?.checks.find((c) => c.id === 'tls_certificate')?.detail ?? '',
      /Test deployment CA/,
    );
  });

  it('prints a table people can read, with the fix beside each failure', async () => {
    const weak = await runGatehouse(['doctor', '--offline'], { ...env, GATEHOUSE_ADMIN_HOST: '0.0.0.0' });
    assert.equal(weak.code, 1);
    assert.match(
      weak.stdout,
      /FAIL +admin_port_private +bound to 0\.0\.0\.0.*GATEHOUSE_ADMIN_HOST=127\.0\.0\.1/,
    );
    assert.match(weak.stdout, /PASS +production_mode/);
    assert.match(weak.stdout, /\d+ passed, 0 warnings, 1 failed/);
  });

  it('fails each weakened setting on exactly its own check', async () => {
    const selfSigned = await issueCertificate(mkdirOf(dir, 'self-signed'), { selfSigned: true });
    const database = join(env.GATEHOUSE_DATA_DIR as string, 'gatehouse.sqlite');
    // An all-zero key parses and loads, but is nobody's random value: in the environment or in its file.
    const zeroKeys = `1:${Buffer.alloc(32).toString('base64')}`;
    const zeroKeysFile = join(dir, 'secrets', 'zero-keys');
    writeFileSync(zeroKeysFile, zeroKeys, { mode: 0o600 });
    const weakenings: [string, Record<string, string>, string][] = [
      ['production_mode', { GATEHOUSE_ENV: 'development' }, 'fail'],
      [
        'secrets_configured',
        { GATEHOUSE_ENCRYPTION_KEYS_FILE: '', GATEHOUSE_ENCRYPTION_KEYS: zeroKeys },
        'fail',
      ],
      ['secrets_configured', { GATEHOUSE_ENCRYPTION_KEYS_FILE: zeroKeysFile }, 'fail'],
      [
        'tls_certificate',
        { GATEHOUSE_TLS_CERT_FILE: selfSigned.certFile, GATEHOUSE_TLS_KEY_FILE: selfSigned.keyFile },
        'fail',
      ],
      ['admin_port_private', { GATEHOUSE_ADMIN_HOST: '0.0.0.0' }, 'fail'],
      ['certificate_validation', { NODE_TLS_REJECT_UNAUTHORIZED: '0' }, 'fail'],
      ['retention_set', { GATEHOUSE_RETENTION_WEBHOOK_PAYLOADS: 'forever' }, 'fail'],
      ['rotation_policy', { GATEHOUSE_ALERT_ROTATION_AGE: '400d' }, 'fail'],
      ['shared_state', { GATEHOUSE_INSTANCES: '2' }, 'fail'],
    ];
    const results = await Promise.all(
      weakenings.map(([, change]) => doctor({ ...env, ...change }, '--offline')),
    );
    weakenings.forEach(([id, change, status], i) => {
      const result = results[i] as Awaited<ReturnType<typeof doctor>>;
      assert.equal(result.code, 1, `${id} ${JSON.stringify(change)}`);
      assert.deepEqual(notPassing(result.output.configuration), [`${id}:${status}`], JSON.stringify(change));
      assert.equal(result.output.server, null);
    });

    chmodSync(database, 0o644);
    try {
      const exposed = await doctor(env, '--offline');
      assert.deepEqual(notPassing(exposed.output.configuration), ['data_dir_private:fail']);
      assert.match(exposed.output.configuration.checks[4]?.detail ?? '', /gatehouse\.sqlite \(mode 644\)/);
    } finally {
      chmodSync(database, 0o600);
    }
  });

  it('reports a placeholder secret as a configuration that does not load, naming the setting', async () => {
    const placeholder = join(dir, 'secrets', 'placeholder');
    writeFileSync(placeholder, 'changeme-changeme-changeme-changeme-1', { mode: 0o600 });
    const { code, output } = await doctor({ ...env, GATEHOUSE_PEPPER_FILE: placeholder }, '--offline');
    assert.equal(code, 1);
    assert.deepEqual(notPassing(output.configuration), ['config_valid:fail']);
    assert.match(output.configuration.checks[0]?.detail ?? '', /GATEHOUSE_PEPPER looks like a placeholder/);
  });
  it('fails a stored http:// endpoint and an overdue key on exactly their own checks, on the running server', async () => {
    const baseline = await doctor(env);
    const onlyChanged = async (id: string) => {
      const { code, output } = await doctor(env);
      assert.equal(code, 1, id);
      assert.equal(statuses(baseline.output.server)[id], 'pass', id);
      assert.deepEqual(statuses(output.configuration), statuses(baseline.output.configuration), id);
      assert.deepEqual(statuses(output.server), { ...statuses(baseline.output.server), [id]: 'fail' }, id);
      return output.server?.checks.find((c) => c.id === id)?.detail ?? '';
    };
    const { db } = gatehouse.services.database;

    // The API refuses http:// (W5); a row written before that rule, or by hand, is what the check is for.
    const eventType = await client.send(`${gatehouse.adminUrl}/admin/v1/event-types`, {
      method: 'POST',
      headers,
      body: { name: 'doctor.never_published', schema: { type: 'object' } },
    });
    assert.equal(eventType.status, 201, eventType.text);
    const endpoint = await client.send(`${gatehouse.adminUrl}/admin/v1/webhook-endpoints`, {
      method: 'POST',
      headers,
      body: {
        integrator_id: integratorId,
        environment: 'production',
        event_types: ['doctor.never_published'],
        url: 'https://1.1.1.1/doctor',
      },
    });
    assert.equal(endpoint.status, 201, endpoint.text);
    recordSecret(endpoint.json.secret);
    await db
      .updateTable('webhook_endpoints')
      .set({ url: 'http://1.1.1.1/doctor' })
      .where('id', '=', endpoint.json.id)
      .execute();
    try {
      assert.match(await onlyChanged('webhook_endpoints_signed'), new RegExp(endpoint.json.id));
    } finally {
      await db
        .updateTable('webhook_endpoints')
        .set({ url: 'https://1.1.1.1/doctor' })
        .where('id', '=', endpoint.json.id)
        .execute();
    }

    // The key's secret issued 400 days ago, past the example's 90-day rotation policy.
    const issued = await db
      .selectFrom('api_key_secrets')
      .select(['id', 'created_at'])
      .where('key_id', '=', keyId)
      .execute();
    assert.equal(issued.length, 1);
    await db
      .updateTable('api_key_secrets')
      .set({ created_at: Date.now() - 400 * DAY_MS })
      .where('key_id', '=', keyId)
      .execute();
    try {
      assert.match(await onlyChanged('credential_age'), new RegExp(`${keyId} \\(400 days\\)`));
    } finally {
      await db
        .updateTable('api_key_secrets')
        .set({ created_at: Number(issued[0]?.created_at) })
        .where('key_id', '=', keyId)
        .execute();
    }
    assert.deepEqual(statuses((await doctor(env)).output.server), statuses(baseline.output.server));
  });
});

describe('gatehouse doctor on a development server', () => {
  it('fails, names the weak items, and says when the server cannot be reached', async () => {
    const server = await startTestServer({ name: 'doctor-development' });
    try {
      const cli = { ...server.env, GATEHOUSE_ADMIN_URL: server.adminUrl, PATH: process.env.PATH ?? '' };
      const { code, output } = await doctor(cli);
      assert.equal(code, 1);
      assert.equal(output.status, 'fail');
      assert.deepEqual(notPassing(output.server), [
        'production_mode:fail',
        'tls_certificate:fail',
        'alert_sink:fail',
      ]);
      const checklist = await server.admin('GET', '/admin/v1/checklist');
      assert.equal(checklist.status, 200);
      assert.deepEqual(notPassing(checklist.json), notPassing(output.server));
    } finally {
      await server.close();
    }
    const unreachable = await doctor({ ...server.env, GATEHOUSE_ADMIN_URL: server.adminUrl });
    assert.equal(unreachable.code, 1);
    assert.deepEqual(notPassing(unreachable.output.server), ['server_reachable:fail']);
  });
});
