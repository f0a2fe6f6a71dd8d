/**
 * What the main thread and the data path's thread (`data-thread.ts`, `data-thread-worker.ts`) say
 * to each other: the data the thread starts with, and the messages in each direction.
 */
import type { LogLevel } from '../config/config.ts';
import type { GatewayConfig } from '../gateway/gateway-config.ts';
import type { GatewayReloaded } from '../gateway/start-gateway.ts';
import type { ForwardedLines } from '../log/forwarded-lines.ts';
import type { GatewayMetricsSnapshot } from '../metrics/gateway-metrics.ts';
import type { ThreadConfig } from './thread-config.ts';

/** The thread's `workerData`. */
export interface DataThreadData {
  /** The configuration the main thread loaded and validated: the data path serves this one, not a re-read. */
  readonly config: ThreadConfig;
  /** The certificate chain and key the main thread loaded, so both listeners serve the same pair (a clone makes Buffers plain bytes). */
  readonly tls: { readonly cert: Uint8Array; readonly key: Uint8Array };
  readonly changeChannel: string;
  readonly logLevel: LogLevel;
  /** Where the parent's logger writes, when it is a file descriptor this thread can write to as well. */
  readonly logDescriptor: number | null;
}

/** From the main thread: serve this gateway config (read and validated there), or stop. */
export type ToDataThread =
  | { readonly type: 'reload'; readonly id: number; readonly gateway: GatewayConfig }
  | { readonly type: 'metrics'; readonly id: number }
  | { readonly type: 'close' };

/** From the data path's thread: its log lines, that it listens, how a reload went, that it stopped. */
export type FromDataThread =
  | ForwardedLines
  | { readonly type: 'ready'; readonly url: string; readonly plainHttpUrl: string | null }
  | {
      readonly type: 'reloaded';
      readonly id: number;
      readonly outcome: { ok: true; reloaded: GatewayReloaded } | { ok: false; message: string };
    }
  | { readonly type: 'metrics'; readonly id: number; readonly snapshot: GatewayMetricsSnapshot }
  | { readonly type: 'closed' };
