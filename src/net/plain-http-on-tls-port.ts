import type { Server as HttpServer } from 'node:http';
import type { Server as NetServer, Socket } from 'node:net';

/** Every TLS connection starts with a handshake record (RFC 8446 §5.1: content type 22). */
const TLS_HANDSHAKE = 0x16;

export interface PlainHttpOnTlsPortOptions {
  /** How long a new connection may stay silent before its first byte: the handshake timeout's first half. */
  readonly firstByteTimeoutMs: number;
  /** How long a plain-HTTP connection is kept in all: enough to send one request and read the refusal. */
  readonly plainDeadlineMs: number;
}

/**
 * Lets a TLS listener answer plain HTTP instead of dropping it (as nginx's 497 does): the first byte
 * of each accepted connection is looked at once; a TLS handshake goes on to the TLS server, anything
 * else to `plainServer` (which refuses it in plain HTTP). Call it before `listen`, after the TLS
 * server's own `connection` listeners are in place: they are moved behind the sniff. A connection
 * that sends nothing is closed after `firstByteTimeoutMs`; the TLS server's `handshakeTimeout` bounds
 * the rest of the handshake. Costs one `readable` event per connection, nothing per request.
 *
 * @example
 * acceptPlainHttp(httpsServer, refusalServer, { firstByteTimeoutMs: 10_000, plainDeadlineMs: 10_000 });
 */
export function acceptPlainHttp(
  tlsServer: NetServer,
  plainServer: HttpServer,
  options: PlainHttpOnTlsPortOptions,
): void {
  const tlsListeners = tlsServer.listeners('connection') as ((socket: Socket) => void)[];
  tlsServer.removeAllListeners('connection');
  // The refusal server's timers stop with it; it has no listening socket whose closing would stop them.
  tlsServer.once('close', () => plainServer.close());
  tlsServer.on('connection', (socket: Socket) => {
    const drop = () => socket.destroy();
    socket.setTimeout(options.firstByteTimeoutMs);
    socket.once('timeout', drop);
    socket.on('error', drop);
    socket.once('readable', () => {
      socket.setTimeout(0);
      socket.off('timeout', drop);
      socket.off('error', drop);
      const first = socket.read(1) as Buffer | null;
      if (first === null) {
        socket.destroy();
        return;
      }
      socket.unshift(first);
      if (first[0] === TLS_HANDSHAKE) {
        for (const listener of tlsListeners) listener.call(tlsServer, socket);
        return;
      }
      // The refusal server never listens itself, so its header timeouts never run: bound the whole connection.
      const deadline = setTimeout(drop, options.plainDeadlineMs).unref();
      socket.once('close', () => clearTimeout(deadline));
      plainServer.emit('connection', socket);
    });
  });
}
