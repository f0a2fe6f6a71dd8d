import type { MessagePort } from 'node:worker_threads';
import pino, { type DestinationStream, type Logger } from 'pino';

/** A message carrying finished log lines from another thread to the one that owns the destination. */
export interface ForwardedLines {
  readonly type: 'log';
  readonly lines: string;
}

/**
 * A destination for a logger in a worker thread: each write (one line, or the request log's lines
 * of a whole event-loop turn) goes to the parent thread as it is, to be written there
 * (`writeForwardedLines`). The writes to the real destination happen off the worker's thread.
 */
export function forwardingDestination(port: MessagePort): DestinationStream {
  return {
    write(lines: string) {
      port.postMessage({ type: 'log', lines } satisfies ForwardedLines);
    },
  };
}

/** Writes lines a worker's logger forwarded into this logger's destination, unchanged. */
export function writeForwardedLines(logger: Logger, message: ForwardedLines): void {
  const stream = (logger as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym];
  stream?.write(message.lines);
}
