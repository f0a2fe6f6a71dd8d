import type { Server as NetServer, Socket } from 'node:net';

/**
 * Closes connections that moved no byte in either direction for `idleMs` (give or take one
 * `sweepMs`): a client that stops reading a response, or stops sending a body, cannot hold its
 * connection and the upstream request behind it. It does what `server.setTimeout(idleMs)` does,
 * but by looking at every connection's byte counters now and then instead of re-arming a timer
 * on every read and write of every socket (~2 µs per proxied request on the 2-core machines).
 */
export function closeIdleConnections(server: NetServer, idleMs: number, sweepMs = 10_000): void {
  const connections = new Map<Socket, { read: number; written: number; quietSince: number }>();
  server.on('connection', (socket: Socket) => {
    connections.set(socket, { read: 0, written: 0, quietSince: Date.now() });
    socket.once('close', () => connections.delete(socket));
  });
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const [socket, seen] of connections) {
      if (socket.bytesRead !== seen.read || socket.bytesWritten !== seen.written) {
        seen.read = socket.bytesRead;
        seen.written = socket.bytesWritten;
        seen.quietSince = now;
      } else if (now - seen.quietSince >= idleMs) {
        socket.destroy();
      }
    }
  }, sweepMs).unref();
  server.once('close', () => clearInterval(sweeper));
}
