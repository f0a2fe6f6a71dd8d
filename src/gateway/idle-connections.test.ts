import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { after, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { closeIdleConnections } from './idle-connections.ts';

const server = createServer((socket) => socket.on('data', () => {}));
closeIdleConnections(server, 300, 50);
server.listen(0, '127.0.0.1');
await once(server, 'listening');
after(() => server.close());

const open = async (): Promise<Socket> => {
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await once(socket, 'connect');
  return socket;
};

it('closes a connection that stays silent, and keeps one that moves bytes', { timeout: 5_000 }, async () => {
  const silent = await open();
  const busy = await open();
  const closed = once(silent, 'close');
  const ticker = setInterval(() => busy.write('.'), 50);
  try {
    await closed;
    await sleep(400);
    assert.equal(busy.destroyed, false, 'a connection that keeps sending stays open');
  } finally {
    clearInterval(ticker);
    busy.destroy();
  }
});
