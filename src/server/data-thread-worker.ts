/**
 * The data path's own thread (started by `data-thread.ts`): loads the instance's config again from
 * the same environment, opens its own services (database connections, Redis, caches), and runs the
 * gateway until its parent says `close`; a `reload` brings a gateway config the parent has read.
 * Its log lines go where the parent's logger writes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type ConfigSource, type LogLevel, loadConfig } from '../config/config.ts';
import { forwardingDestination } from '../log/forwarded-lines.ts';
import { createLogger, logDestination } from '../log/logger.ts';
import { loadTlsCredentials } from '../tls/tls-credentials.ts';
import { startDataPath } from './data-path.ts';
import type { DataThreadMessage } from './data-thread.ts';
import { createServices } from './services.ts';

export interface DataThreadData {
  readonly source: ConfigSource;
  readonly changeChannel: string;
  readonly logLevel: LogLevel;
  /** Where the parent's logger writes, when it is a file descriptor this thread can write to as well. */
  readonly logDescriptor: number | null;
}

const port = parentPort;
if (port === null) throw new Error('data-thread-worker.ts runs as a worker thread');
const { source, changeChannel, logLevel, logDescriptor } = workerData as DataThreadData;
const logger = createLogger({
  level: logLevel,
  destination: logDescriptor === null ? forwardingDestination(port) : logDestination(logDescriptor),
});
const config = loadConfig(source.env, source.cwd);
const tls = await loadTlsCredentials(config);
const services = await createServices(config, logger, { changeChannel });
const gateway = await startDataPath(services, tls, logger).catch(async (error: unknown) => {
  await services.close();
  throw error;
});
port.on('message', async (message: DataThreadMessage) => {
  if (message.type === 'reload') {
    // The parent read and validated the file; this thread only swaps it in.
    const outcome = await gateway.reload(message.gateway).then(
      (reloaded) => ({ ok: true as const, reloaded }),
      (error: unknown) => ({
        ok: false as const,
        message: error instanceof Error ? error.message : String(error),
      }),
    );
    port.postMessage({ type: 'reloaded', id: message.id, outcome } satisfies DataThreadMessage);
    return;
  }
  if (message.type !== 'close') return;
  await gateway.close();
  await services.close();
  port.postMessage({ type: 'closed' } satisfies DataThreadMessage);
});
port.postMessage({
  type: 'ready',
  url: gateway.url,
  plainHttpUrl: gateway.plainHttpUrl,
} satisfies DataThreadMessage);
