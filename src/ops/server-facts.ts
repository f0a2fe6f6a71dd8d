import { connect } from 'node:net';
import type { SinkService } from '../alerts/sink-service.ts';
import type { KeyStore } from '../keys/key-store.ts';
import type { ClientStore } from '../oauth/client-store.ts';
import type { EndpointService } from '../webhooks/endpoint-service.ts';

/** What the checklist reads off the running server: its listeners and its stored settings. */
export interface ServerFacts {
  /** Each TLS listener, asked a plain-HTTP request: refused unless it answered 2xx or 3xx. */
  readonly plainHttp: readonly {
    readonly listener: string;
    readonly refused: boolean;
    readonly answer: string;
  }[];
  readonly endpoints: readonly {
    readonly id: string;
    readonly url: string;
    readonly signingSecrets: number;
  }[];
  readonly sinkTypes: readonly string[];
  /** Unrevoked credentials whose current secret is older than the rotation policy. */
  readonly overdueCredentials: readonly { readonly id: string; readonly ageDays: number }[];
}

export interface ServerFactSources {
  readonly endpoints: Pick<EndpointService, 'list'>;
  readonly sinks: Pick<SinkService, 'list'>;
  readonly keys: Pick<KeyStore, 'unrevokedForReview'>;
  readonly clients: Pick<ClientStore, 'unrevokedForReview'>;
  /** The listeners' `https://host:port` URLs, once they are open. */
  readonly listeners: () => readonly { readonly name: string; readonly url: string }[];
}

const DAY_MS = 86_400_000;
const PAGE = 100;
const PROBE_TIMEOUT_MS = 2_000;

export async function serverFacts(sources: ServerFactSources, rotationAgeMs: number): Promise<ServerFacts> {
  const [plainHttp, endpoints, sinkTypes, overdueCredentials] = await Promise.all([
    Promise.all(
      sources.listeners().map(async ({ name, url }) => ({ listener: name, ...(await probe(url)) })),
    ),
    allEndpoints(sources.endpoints),
    allSinkTypes(sources.sinks),
    overdue(sources, rotationAgeMs),
  ]);
  return { plainHttp, endpoints, sinkTypes, overdueCredentials };
}

async function allEndpoints(service: ServerFactSources['endpoints']): Promise<ServerFacts['endpoints']> {
  const found: { id: string; url: string; signingSecrets: number }[] = [];
  let cursor: string | undefined;
  do {
    const page = await service.list({}, PAGE, cursor);
    for (const endpoint of page.data) {
      found.push({ id: endpoint.id, url: endpoint.url, signingSecrets: endpoint.secrets.length });
    }
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
  return found;
}

async function allSinkTypes(service: ServerFactSources['sinks']): Promise<string[]> {
  const types: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await service.list({ limit: PAGE, cursor });
    types.push(...page.data.map((sink) => sink.type));
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
  return types;
}

async function overdue(
  sources: ServerFactSources,
  rotationAgeMs: number,
): Promise<ServerFacts['overdueCredentials']> {
  const now = Date.now();
  const rows = [
    ...(await sources.keys.unrevokedForReview()),
    ...(await sources.clients.unrevokedForReview()),
  ];
  return rows
    .map((row) => ({ id: row.id, ageMs: now - Number(row.issued_at ?? now) }))
    .filter((row) => row.ageMs > rotationAgeMs)
    .map((row) => ({ id: row.id, ageDays: Math.floor(row.ageMs / DAY_MS) }));
}

/** Sends a plain-HTTP request to a TLS listener: a TLS server closes, alerts or answers 4xx. */
function probe(url: string): Promise<{ refused: boolean; answer: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port) });
    let received = '';
    const finish = () => {
      socket.destroy();
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(received)?.[1];
      if (status === undefined) resolve({ refused: true, answer: received === '' ? 'closed' : 'not HTTP' });
      else resolve({ refused: !/^[23]/.test(status), answer: `HTTP ${status}` });
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, finish);
    socket.on('connect', () =>
      socket.write(`GET /healthz HTTP/1.1\r\nHost: ${hostname}\r\nConnection: close\r\n\r\n`),
    );
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.includes('\r\n') || received.length > 64) finish();
    });
    socket.on('error', finish);
    socket.on('end', finish);
  });
}
