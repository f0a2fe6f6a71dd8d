import { Worker } from 'node:worker_threads';
import type { LogLevel } from '../config/config.ts';
import type { GatewayReloaded, RunningGateway } from '../gateway/start-gateway.ts';
import { sharedDescriptorOf, writeForwardedLines } from '../log/forwarded-lines.ts';
import type { Logger } from '../log/logger.ts';
import type { Config } from './config.ts';
import type { DataThreadData, FromDataThread, ToDataThread } from './data-thread-protocol.ts';
import { configForThread } from './thread-config.ts';

/**
 * Runs the data path in a worker thread of its own, with its own services, beside the admin API and
 * the webhook deliveries of this thread. Why: the data path then has a V8 isolate (heap, garbage
 * collector, JIT type feedback) that nothing else runs in; on the 2-core machines the same gateway
 * served 10–20% more requests per second than on a thread shared with everything else
 * (`src/gateway/README.md`). The threads share the database file or server and announce changes
 * to each other over `changeChannel` (or Redis). The data path writes its log lines to the same file
 * descriptor as this thread's logger when that one writes synchronously to a descriptor (the
 * default), or else sends them here to be written.
 */
export async function startDataThread(options: {
  config: Config;
  tls: { readonly cert: Buffer; readonly key: Buffer };
  logger: Logger;
  changeChannel: string;
}): Promise<RunningGateway> {
  const { logger } = options;
  const workerData: DataThreadData = {
    config: configForThread(options.config),
    tls: { cert: options.tls.cert, key: options.tls.key },
    changeChannel: options.changeChannel,
    logLevel: logger.level as LogLevel,
    logDescriptor: sharedDescriptorOf(logger),
  };
  const worker = new Worker(new URL('./data-thread-worker.ts', import.meta.url), { workerData });
  let state: 'starting' | 'running' | 'closing' = 'starting';
  let onClosed: (() => void) | undefined;
  const reloads = new Map<
    number,
    { resolve: (reloaded: GatewayReloaded) => void; reject: (error: Error) => void }
  >();
  let lastReload = 0;
  const ready = new Promise<{ url: string; plainHttpUrl: string | null }>((resolve, reject) => {
    worker.on('message', (message: FromDataThread) => {
      if (message.type === 'log') writeForwardedLines(logger, message);
      else if (message.type === 'ready') resolve(message);
      else if (message.type === 'reloaded') {
        const waiting = reloads.get(message.id);
        reloads.delete(message.id);
        if (message.outcome.ok) waiting?.resolve(message.outcome.reloaded);
        else waiting?.reject(new Error(message.outcome.message));
      } else if (message.type === 'closed') onClosed?.();
    });
    worker.on('error', (error) => {
      if (state === 'starting') reject(error);
      else if (state === 'running') failed(error);
    });
    worker.on('exit', (code) => {
      if (state === 'starting')
        reject(new Error(`the data path thread stopped (exit code ${code}) while starting`));
      else if (state === 'running') failed(new Error(`the data path thread stopped (exit code ${code})`));
      for (const waiting of reloads.values()) waiting.reject(new Error('the data path thread stopped'));
      reloads.clear();
      onClosed?.();
    });
  });
  const failed = (error: Error) => {
    state = 'closing';
    logger.fatal({ err: error }, 'the data path thread failed');
    // Without its data path this instance serves nothing: fail as loudly as an uncaught error.
    process.nextTick(() => {
      throw error;
    });
  };
  const started = await ready.catch(async (error: unknown) => {
    state = 'closing';
    await worker.terminate();
    throw error;
  });
  state = 'running';
  return {
    url: started.url,
    plainHttpUrl: started.plainHttpUrl,
    reload(gateway) {
      if (state !== 'running') return Promise.reject(new Error('the data path is not running'));
      const id = ++lastReload;
      return new Promise((resolve, reject) => {
        reloads.set(id, { resolve, reject });
        worker.postMessage({ type: 'reload', id, gateway } satisfies ToDataThread);
      });
    },
    async close() {
      if (state !== 'running') return;
      state = 'closing';
      await new Promise<void>((resolve) => {
        onClosed = resolve;
        worker.postMessage({ type: 'close' } satisfies ToDataThread);
      });
      await worker.terminate();
    },
  };
}
