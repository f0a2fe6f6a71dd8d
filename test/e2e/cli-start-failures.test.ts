import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ensureDevelopmentCertificate } from '../../src/tls/development-certificate.ts';
import { type CliResult, runGatehouse } from '../support/cli.ts';
import { testEnvironment } from '../support/test-config.ts';

/** A port that something else holds for the length of the test. */
async function heldPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

/** A port nothing listens on: taken, then given back. */
async function closedPort(): Promise<number> {
  const { port, server } = await heldPort();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** One line on stderr that names `variable`, no stack trace, a non-zero exit. */
function assertOneLineNaming(result: CliResult, variable: string): void {
  assert.notEqual(result.code, 0, result.stderr);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0] as string, /^Gatehouse cannot start: /);
  assert.ok(lines[0]?.includes(variable), result.stderr);
  assert.ok(!result.stderr.includes('    at '), result.stderr);
  assert.ok(!result.stdout.includes('    at '), result.stdout);
}

describe('gatehouse serve: start-up failures', () => {
  const held: Server[] = [];
  const dataDirs: string[] = [];
  after(async () => {
    await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))));
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });
  const environment = (env: Record<string, string> = {}) => {
    const created = testEnvironment(env);
    dataDirs.push(created.dataDir);
    return created;
  };
  const serve = (env: Record<string, string>) => runGatehouse(['serve'], environment(env).env);

  for (const variable of ['GATEHOUSE_PORT', 'GATEHOUSE_ADMIN_PORT', 'GATEHOUSE_HTTP_PORT']) {
    it(`a port already in use (${variable}) is one line naming it`, async () => {
      const { port, server } = await heldPort();
      held.push(server);
      const result = await serve({ [variable]: String(port) });
      assertOneLineNaming(result, variable);
      assert.match(result.stderr, /already in use/);
    });
  }

  it('a certificate file that is missing, or not a certificate, is one line naming the variable', async () => {
    const { env, dataDir } = environment();
    const junk = join(dataDir, 'junk.pem');
    writeFileSync(junk, 'not a certificate\n');
    const missing = await runGatehouse(['serve'], {
      ...env,
      GATEHOUSE_TLS_CERT_FILE: join(dataDir, 'missing.pem'),
      GATEHOUSE_TLS_KEY_FILE: junk,
    });
    assertOneLineNaming(missing, 'GATEHOUSE_TLS_CERT_FILE');
    assert.match(missing.stderr, /no such file/);
    const invalid = await runGatehouse(['serve'], {
      ...env,
      GATEHOUSE_TLS_CERT_FILE: junk,
      GATEHOUSE_TLS_KEY_FILE: junk,
    });
    assertOneLineNaming(invalid, 'GATEHOUSE_TLS_CERT_FILE');
    assert.match(invalid.stderr, /not a PEM certificate/);
  });

  it('a data directory that cannot be created is one line naming GATEHOUSE_DATA_DIR', async () => {
    const { env, dataDir } = environment();
    const file = join(dataDir, 'a-file');
    writeFileSync(file, '');
    const tls = await ensureDevelopmentCertificate(join(dataDir, 'certificate'));
    const production = {
      GATEHOUSE_ENV: 'production',
      GATEHOUSE_TLS_CERT_FILE: tls.certFile,
      GATEHOUSE_TLS_KEY_FILE: tls.keyFile,
    };
    // Development keeps its generated secrets there; production only the SQLite database.
    for (const extra of [{}, production]) {
      const result = await runGatehouse(['serve'], {
        ...env,
        ...extra,
        GATEHOUSE_DATA_DIR: join(file, 'data'),
      });
      assertOneLineNaming(result, 'GATEHOUSE_DATA_DIR');
      assert.match(result.stderr, /not a directory/);
    }
  });

  it('an unreachable Redis is one line naming GATEHOUSE_REDIS_URL, without its password', async () => {
    const result = await serve({
      GATEHOUSE_REDIS_URL: `redis://:hunter2-not-shown@127.0.0.1:${await closedPort()}`,
    });
    assertOneLineNaming(result, 'GATEHOUSE_REDIS_URL');
    assert.match(result.stderr, /connection refused/);
    assert.ok(!result.stderr.includes('hunter2'));
  });

  it('an unreachable PostgreSQL is one line naming GATEHOUSE_DATABASE_URL, without its password', async () => {
    const result = await serve({
      GATEHOUSE_DATABASE_URL: `postgres://postgres:hunter2-not-shown@127.0.0.1:${await closedPort()}/gatehouse`,
    });
    assertOneLineNaming(result, 'GATEHOUSE_DATABASE_URL');
    assert.match(result.stderr, /connection refused/);
    assert.ok(!result.stderr.includes('hunter2'));
  });
});
