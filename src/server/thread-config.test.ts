import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { inspect } from 'node:util';
import { MessageChannel } from 'node:worker_threads';
import { testEnvironment } from '../../test/support/test-config.ts';
import { loadConfig } from './config.ts';
import { configForThread, configFromThread, type ThreadConfig } from './thread-config.ts';

const dataDirs: string[] = [];
after(() => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});
function loaded(overrides: Record<string, string> = {}) {
  const { env, dataDir } = testEnvironment(overrides);
  dataDirs.push(dataDir);
  return loadConfig(env);
}

/** What the other thread receives: the structured clone `workerData` and `postMessage` make. */
async function acrossThreads(sent: ThreadConfig): Promise<ThreadConfig> {
  const { port1, port2 } = new MessageChannel();
  const received = new Promise<ThreadConfig>((resolve) => port2.once('message', resolve));
  port1.postMessage(sent);
  const value = await received;
  port1.close();
  return value;
}

describe('thread config: the data thread gets the config the main thread loaded', () => {
  it('arrives with the same settings, secrets and encryption keys', async () => {
    const config = loaded({ GATEHOUSE_DATABASE_URL: 'postgres://gatehouse@127.0.0.1:5432/thread' });
    const received = configFromThread(await acrossThreads(configForThread(config)));
    assert.equal(received.databaseUrl?.reveal(), config.databaseUrl?.reveal());
    assert.equal(received.redisUrl, null);
    assert.equal(received.pepper.reveal(), config.pepper.reveal());
    assert.equal(received.keyring.currentId, config.keyring.currentId);
    for (const [id, key] of config.keyring.keys) {
      assert.ok(received.keyring.keys.get(id)?.equals(key), `encryption key ${id}`);
    }
    const { databaseUrl, redisUrl, pepper, adminToken, keyring, ...settings } = config;
    const { databaseUrl: _d, redisUrl: _r, pepper: _p, adminToken: _a, keyring: _k, ...arrived } = received;
    assert.deepEqual(arrived, { ...settings });
  });

  it('leaves the owner token behind: only the main thread uses it', async () => {
    const config = loaded();
    const sent = configForThread(config);
    const owner = config.adminToken?.reveal() as string;
    assert.ok(!inspect(sent, { depth: null }).includes(owner));
    assert.equal(configFromThread(await acrossThreads(sent)).adminToken, null);
  });

  it('arrives frozen, as loaded, and prints no secret', async () => {
    const config = loaded();
    const received = configFromThread(await acrossThreads(configForThread(config)));
    assert.ok(Object.isFrozen(received) && Object.isFrozen(received.gateway.routes));
    assert.ok(Object.isFrozen(received.gateway.environments.sandbox));
    const printed = `${JSON.stringify(received)} ${inspect(received, { depth: null })}`;
    assert.ok(!printed.includes(config.pepper.reveal()));
  });
});
