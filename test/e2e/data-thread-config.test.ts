import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/log/logger.ts';
import { loadConfig } from '../../src/server/config.ts';
import { type RunningGatehouse, startGatehouse } from '../../src/server/gatehouse.ts';
import { logFile, recordSecret } from '../support/artifacts.ts';
import { createHttpsClient } from '../support/https-client.ts';
import { testEnvironment } from '../support/test-config.ts';
import { type RecordingUpstream, startRecordingUpstream } from '../support/upstream.ts';

const routing = (upstream: string, path: string) =>
  JSON.stringify({
    environments: { sandbox: { upstream } },
    routes: [{ method: 'GET', path, scopes: [] }],
  });

describe('data thread: serves the configuration the instance loaded', () => {
  let upstream: RecordingUpstream;
  let gatehouse: RunningGatehouse;
  let client: ReturnType<typeof createHttpsClient>;
  let dataDir: string;
  let key: string;
  const log = logFile('data-thread-config');

  before(async () => {
    upstream = await startRecordingUpstream('loaded');
    const environment = testEnvironment();
    dataDir = environment.dataDir;
    const file = join(dataDir, 'gatehouse.config.json');
    writeFileSync(file, routing(upstream.url, '/v1/loaded'));
    const config = loadConfig({ ...environment.env, GATEHOUSE_CONFIG_FILE: file });
    // Edited after the configuration was read and validated, but not reloaded: nothing may serve it.
    writeFileSync(file, routing(upstream.url, '/v1/edited'));
    gatehouse = await startGatehouse(config, { logger: createLogger({ level: 'debug', destination: log }) });
    client = createHttpsClient(readFileSync(gatehouse.developmentCaFile as string));
    const admin = (path: string, body: unknown) =>
      client.send(`${gatehouse.adminUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${environment.ownerToken}` },
        body,
      });
    const integrator = await admin('/admin/v1/integrators', { name: 'Loaded config' });
    const issued = await admin('/admin/v1/keys', {
      integrator_id: integrator.json.id,
      name: 'loaded',
      environment: 'sandbox',
    });
    key = recordSecret(issued.json.key as string);
  });
  after(async () => {
    await client?.close();
    await gatehouse?.close();
    await new Promise((resolve) => log.end(resolve));
    await upstream?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const call = (path: string) =>
    client.send(`${gatehouse.dataUrl}${path}`, { headers: { 'x-api-key': key } });

  it('routes what the loaded gateway file routes, though the file changed before the data path started', async () => {
    const response = await call('/v1/loaded');
    assert.equal(response.status, 200);
    assert.deepEqual(response.json, { upstream: 'loaded', path: '/v1/loaded' });
  });

  it('does not route what only the edited file routes', async () => {
    const response = await call('/v1/edited');
    assert.equal(response.status, 404);
    assert.equal(upstream.received.filter((request) => request.url === '/v1/edited').length, 0);
  });
});
