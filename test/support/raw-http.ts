import { once } from 'node:events';
import { connect as tcpConnect } from 'node:net';

/** What a plain-HTTP client reads back: the status line, the header block and the body. */
export interface RawReply {
  readonly status: number;
  readonly head: string;
  readonly json: { code?: string; request_id?: string } | undefined;
  /** Everything the server sent. */
  readonly text: string;
}

/**
 * Sends bytes as they are over plain TCP and reads the reply until the server closes the connection;
 * with `halfClose`, ends its side (FIN) right after them.
 */
export async function sendRaw(
  url: string,
  request: string | Buffer,
  options: { halfClose?: boolean } = {},
): Promise<RawReply> {
  const { hostname, port } = new URL(url);
  const socket = tcpConnect(Number(port), hostname);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  if (options.halfClose === true) socket.end(request);
  else socket.write(request);
  await once(socket, 'close');
  const text = Buffer.concat(chunks).toString('latin1');
  const split = text.indexOf('\r\n\r\n');
  const head = split === -1 ? text : text.slice(0, split);
  let json: RawReply['json'];
  try {
    json = JSON.parse(text.slice(split + 4));
  } catch {
    json = undefined;
  }
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, json, text };
}
