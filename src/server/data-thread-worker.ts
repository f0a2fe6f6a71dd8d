/**
 * The data path's own thread (started by `data-thread.ts`): takes the configuration and the TLS
 * pair the parent loaded, opens the data path's own services (database connections, Redis, caches; no webhook
 * worker), and runs the gateway until its parent says `close`; a `reload` brings a gateway config
 * the parent has read. Its log lines go where the parent's logger writes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { forwardingDestination } from '../log/forwarded-lines.ts';
import { createLogger, logDestination } from '../log/logger.ts';
import { startDataPath } from './data-path.ts';
import type { DataThreadData, FromDataThread, ToDataThread } from './data-thread-protocol.ts';
import { createDataPathServices } from './services.ts';
import { configFromThread } from './thread-config.ts';

const port = parentPort;
if (port === null) throw new Error('data-thread-worker.ts runs as a worker thread');
const data = workerData as DataThreadData;
const { changeChannel, logLevel, logDescriptor } = data;
const tls = { cert: Buffer.from(data.tls.cert), key: Buffer.from(data.tls.key) };
const logger = createLogger({
  level: logLevel,
  destination: logDescriptor === null ? forwardingDestination(port) : logDestination(logDescriptor),
});
const config = configFromThread(data.config);
const services = await createDataPathServices(config, logger, { changeChannel });
const gateway = await startDataPath(services, tls, logger).catch(async (error: unknown) => {
  await services.close();
  throw error;
});
port.on('message', async (message: ToDataThread) => {
  if (message.type === 'reload') {
    // The parent read and validated the file; this thread only swaps it in.
    const outcome = await gateway.reload(message.gateway).then(
      (reloaded) => ({ ok: true as const, reloaded }),
      (error: unknown) => ({
        ok: false as const,
        message: error instanceof Error ? error.message : String(error),
      }),
    );
    port.postMessage({ type: 'reloaded', id: message.id, outcome } satisfies FromDataThread);
    return;
  }
  if (message.type === 'metrics') {
    port.postMessage({
      type: 'metrics',
      id: message.id,
      snapshot: gateway.metrics(),
    } satisfies FromDataThread);
    return;
  }
  if (message.type !== 'close') return;
  await gateway.close();
  await services.close();
  port.postMessage({ type: 'closed' } satisfies FromDataThread);
});
port.postMessage({
  type: 'ready',
  url: gateway.url,
  plainHttpUrl: gateway.plainHttpUrl,
} satisfies FromDataThread);
