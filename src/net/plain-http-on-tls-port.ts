import type { Server as NetServer, Socket } from 'node:net';

/** Every TLS connection starts with a handshake record (RFC 8446 §5.1: content type 22). */
const TLS_HANDSHAKE = 0x16;

export interface PlainHttpOnTlsPortOptions {
  /** How long a new connection may stay silent before its first byte: the handshake timeout's first half. */
  readonly firstByteTimeoutMs: number;
}

/**
 * Lets a TLS listener answer plain HTTP instead of dropping it (as nginx's 497 does): the first byte
 * of each accepted connection is looked at once; a TLS handshake goes on to the TLS server, anything
 * else to `refusePlain` (which reads what it sent, answers in plain HTTP and bounds how long it is kept). Call it before `listen`, after the TLS
 * server's own `connection` listeners are in place: they are moved behind the sniff. A connection
 * that sends nothing is closed after `firstByteTimeoutMs`; the TLS server's `handshakeTimeout` bounds
 * the rest of the handshake. Costs one `readable` event per connection, nothing per request.
 *
 * @example
 * acceptPlainHttp(httpsServer, createPlainHttpRefusal({ …, deadlineMs: 10_000 }), { firstByteTimeoutMs: 10_000 });
 */
export function acceptPlainHttp(
  tlsServer: NetServer,
  refusePlain: (socket: Socket) => void,
  options: PlainHttpOnTlsPortOptions,
): void {
  const tlsListeners = tlsServer.listeners('connection') as ((socket: Socket) => void)[];
  tlsServer.removeAllListeners('connection');
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
      refusePlain(socket);
    });
  });
}
