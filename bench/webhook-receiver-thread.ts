/**
 * The benchmark's webhook receiver, in its own thread so it does not share an event loop with the
 * sender being measured: answers 204 to every POST and counts them in shared memory.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';

const { certFile, keyFile, counter } = workerData as {
  certFile: string;
  keyFile: string;
  counter: SharedArrayBuffer;
};
const count = new Int32Array(counter);
const server = createServer(
  { cert: readFileSync(certFile), key: readFileSync(keyFile), keepAliveTimeout: 60_000 },
  (request, response) => {
    request.resume();
    request.on('end', () => {
      Atomics.add(count, 0, 1);
      response.writeHead(204).end();
    });
  },
);
server.listen(0, '127.0.0.1', () =>
  parentPort?.postMessage({ port: (server.address() as AddressInfo).port }),
);
parentPort?.on('message', (message) => {
  if (message === 'close') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
