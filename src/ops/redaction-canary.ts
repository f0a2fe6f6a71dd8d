import type { DestinationStream, Logger } from 'pino';
import { generateCredential } from '../crypto/key-format.ts';
import type { LoggerOptions } from '../log/logger.ts';

export type LoggerFactory = (options: LoggerOptions) => Logger;

/**
 * Proves redaction (L2) instead of trusting it: a freshly generated canary credential is logged
 * through a logger made by `createLogger` in each place a secret reaches a log in practice, and
 * the lines that come out are searched for it. Returns the places it came out in; none is the pass.
 * The lines stay in memory: the canary is never written anywhere.
 */
export function redactionLeaks(createLogger: LoggerFactory, keyPrefix: string): string[] {
  const canary = generateCredential(keyPrefix, 'live');
  const lines: string[] = [];
  const destination: DestinationStream = { write: (line: string) => void lines.push(line) };
  const logger = createLogger({ level: 'info', destination });
  const places: Readonly<Record<string, (log: Logger) => void>> = {
    'Authorization header': (log) => log.info({ req: { headers: { authorization: `Bearer ${canary}` } } }),
    'X-Api-Key header': (log) => log.info({ req: { headers: { 'x-api-key': canary } } }),
    'Cookie header': (log) => log.info({ req: { headers: { cookie: `session=${canary}` } } }),
    'URL query': (log) => log.info({ url: `/v1/orders?api_key=${canary}` }),
    'message text': (log) => log.info(`the caller sent ${canary}`),
    'a field named token': (log) => log.info({ body: { token: canary } }),
    'an unnamed nested field': (log) => log.info({ detail: { sent: [canary] } }),
    'an error message': (log) => log.error({ err: new Error(`refused ${canary}`) }, 'request failed'),
  };
  const leaked: string[] = [];
  for (const [place, write] of Object.entries(places)) {
    const before = lines.length;
    write(logger);
    logger.flush?.();
    if (lines.slice(before).some((line) => line.includes(canary))) leaked.push(place);
  }
  return leaked;
}
