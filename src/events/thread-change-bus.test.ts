import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import type { ChangeTopic } from './change-bus.ts';
import { createThreadChangeBus } from './thread-change-bus.ts';

describe('thread change bus', () => {
  const channel = `test-changes-${randomUUID()}`;
  const here = createThreadChangeBus(channel);
  after(() => here.close());

  it('tells this thread at once, and another thread listening on the same channel', async () => {
    const heard: ChangeTopic[] = [];
    here.subscribe((topic) => heard.push(topic));
    // The other thread relays what it hears back over its parent port.
    const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      const port = new BroadcastChannel(workerData);
      port.onmessage = (event) => parentPort.postMessage(event.data);
      parentPort.postMessage('listening');
    `;
    const worker = new Worker(source, { eval: true, workerData: channel });
    try {
      await once(worker, 'message');
      here.publish('credentials');
      assert.deepEqual(heard, ['credentials'], 'this thread hears its own announcement synchronously, once');
      const [relayed] = await once(worker, 'message');
      assert.equal(relayed, 'credentials');
    } finally {
      await worker.terminate();
    }
  });

  it('delivers announcements from another thread to this one', async () => {
    const heard = new Promise<ChangeTopic>((resolve) => {
      const unsubscribe = here.subscribe((topic) => {
        unsubscribe();
        resolve(topic);
      });
    });
    const worker = new Worker(
      `new BroadcastChannel(require('node:worker_threads').workerData).postMessage('revoked_tokens');`,
      { eval: true, workerData: channel },
    );
    try {
      assert.equal(await heard, 'revoked_tokens');
    } finally {
      await worker.terminate();
    }
  });
});
