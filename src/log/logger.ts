import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/config.ts';
import { redactSecrets } from './redact-secrets.ts';

export type { Logger } from 'pino';

/** Header and field paths that are always censored, whatever else a log line carries (L2). */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers["proxy-authorization"]',
  'headers["x-api-key"]',
  'headers.cookie',
  '*.password',
  '*.secret',
  '*.client_secret',
  '*.token',
  '*.access_token',
  '*.key',
];

export interface LoggerOptions {
  readonly level: LogLevel;
  /** Where lines go; standard output when omitted. Tests pass a file to scan it for secrets. */
  readonly destination?: DestinationStream;
}

/**
 * Where Gatehouse logs by default: standard output (or a file), written synchronously. On these
 * machines pino's asynchronous mode cost the gateway ~15 µs of CPU per request more than
 * synchronous writes (each write is handed to a libuv worker thread and its completion back), and
 * it can lose the last lines in a crash. The gateway's request log batches its own lines per
 * event-loop turn, so the hot path still makes one write(2) per turn, not one per request.
 */
export function logDestination(dest: number | string = 1): DestinationStream {
  return pino.destination({ dest, sync: true });
}

/** The structured JSON logger every part of Gatehouse writes to. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'gatehouse' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      // Whatever a line holds (a user agent, a URL in an error message), no secret-shaped string
      // leaves: the same redaction as the gateway's request log, applied to the finished line.
      hooks: { streamWrite: redactSecrets },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? logDestination(),
  );
}
