import pino, { type Logger } from 'pino';

interface PinoInternals {
  [key: symbol]: unknown;
}

/** Info lines of one kind, for a path that writes one per request or per delivery attempt. */
export interface LineWriter {
  /** Whether the logger writes info lines at all. */
  enabled(): boolean;
  /** Writes one line; `fields` is the JSON of its fields, each preceded by a comma. */
  write(fields: string): void;
}

/**
 * Writes exactly what `logger.child(bindings).info(fields, message)` would, but assembled from the
 * logger's own level, time and bindings prefixes (`pino.symbols`) as one template string: building
 * and serialising a fields object was the largest single cost of a proxied request (measured in
 * instructions under callgrind) and of a webhook attempt. The line goes to the stream directly, past
 * the logger's path redaction and its `redactSecrets` hook, so a caller passes only strings that hold
 * no secret or have been through `redactSecrets`, each quoted with `jsonString` unless it is
 * Gatehouse's own (an id, a code). Each caller's test checks its line against pino's own rendering.
 *
 * Lines written in the same event-loop turn go out together at the end of it (`setImmediate`): one
 * write to the destination per turn instead of one per line.
 */
export function createLineWriter(
  logger: Logger,
  bindings: Record<string, string>,
  message: string,
): LineWriter {
  const child = logger.child(bindings, { redact: [] });
  const internals = child as unknown as PinoInternals;
  const { lsCacheSym, timeSym, chindingsSym, streamSym } = pino.symbols;
  const levelPrefix = (internals[lsCacheSym] as Record<number, string>)[child.levels.values.info as number];
  const time = internals[timeSym] as () => string;
  const prefix = internals[chindingsSym] as string;
  const stream = internals[streamSym] as { write(line: string): unknown };
  const end = `,"msg":${JSON.stringify(message)}}\n`;
  let lastMs = 0;
  let lastTime = '';
  let pending = '';
  const flush = () => {
    const lines = pending;
    pending = '';
    stream.write(lines);
  };
  return {
    enabled: () => child.isLevelEnabled('info'),
    write(fields) {
      const now = Date.now();
      if (now !== lastMs) {
        lastMs = now;
        lastTime = time.call(child);
      }
      if (pending === '') setImmediate(flush);
      pending += `${levelPrefix}${lastTime}${prefix}${fields}${end}`;
    },
  };
}

/** Characters JSON copies unescaped: printable ASCII except `"` and backslash. */
const PLAIN_JSON = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** `JSON.stringify(value)` for a string or null, without its cost for the usual plain string. */
export function jsonString(value: string | null): string {
  if (value === null) return 'null';
  return PLAIN_JSON.test(value) ? `"${value}"` : JSON.stringify(value);
}
