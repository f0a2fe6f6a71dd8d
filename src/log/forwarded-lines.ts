import type { MessagePort } from 'node:worker_threads';
import pino, { type DestinationStream, type Logger } from 'pino';

/** A message carrying finished log lines from another thread to the one that owns the destination. */
export interface ForwardedLines {
  readonly type: 'log';
  readonly lines: string;
}

/**
 * A destination for a logger in a worker thread whose parent's logger has no shared descriptor
 * (`sharedDescriptorOf`): each write (one line, or the request log's lines of one event-loop turn)
 * goes to the parent thread as it is, to be written there (`writeForwardedLines`).
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
  destinationOf(logger)?.write(message.lines);
}

/**
 * The file descriptor this logger writes to synchronously (`logDestination`: standard output or a
 * file), which a worker thread can write its own lines to directly; null for any other destination.
 * Each write is whole lines, so two threads' lines do not mix within a line.
 */
export function sharedDescriptorOf(logger: Logger): number | null {
  const destination = destinationOf(logger) as { fd?: unknown; sync?: unknown } | undefined;
  return typeof destination?.fd === 'number' && destination.fd >= 0 && destination.sync === true
    ? destination.fd
    : null;
}

function destinationOf(logger: Logger): DestinationStream | undefined {
  return (logger as unknown as Record<symbol, DestinationStream | undefined>)[pino.symbols.streamSym];
}
