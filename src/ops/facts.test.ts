import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import pino from 'pino';
import { createLogger } from '../log/logger.ts';
import { redactionLeaks } from './redaction-canary.ts';
import { serverFacts } from './server-facts.ts';

const noStored = {
  endpoints: { list: async () => ({ data: [], next_cursor: null }) },
  sinks: { list: async () => ({ data: [], next_cursor: null }) },
  keys: { unrevokedForReview: async () => [] },
  clients: { unrevokedForReview: async () => [] },
};

describe('what the checklist gathers', () => {
  it('Gatehouse’s own logger lets the canary out nowhere', () => {
    assert.deepEqual(redactionLeaks(createLogger, 'gate'), []);
  });

  it('a logger without redaction lets the canary out everywhere, and the check names each place', () => {
    const leaks = redactionLeaks((options) => pino({ level: options.level }, options.destination), 'gate');
    assert.equal(leaks.length, 8);
    assert.ok(leaks.includes('URL query') && leaks.includes('Authorization header'));
  });

  it('a listener that answers plain HTTP with 200 is reported open; a closed port is refused', async () => {
    const plain = createServer((_request, response) => response.end('ok'));
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    try {
      const facts = await serverFacts(
        {
          ...noStored,
          listeners: () => [
            { name: 'plain', url: `https://127.0.0.1:${(plain.address() as AddressInfo).port}` },
            { name: 'gone', url: `https://127.0.0.1:${closedPort}` },
          ],
        },
        86_400_000,
      );
      assert.deepEqual(facts.plainHttp, [
        { listener: 'plain', refused: false, answer: 'HTTP 200' },
        { listener: 'gone', refused: true, answer: 'closed' },
      ]);
    } finally {
      await new Promise((resolve) => plain.close(resolve));
    }
  });

  it('pages through every stored endpoint and sink, and lists credentials older than the policy', async () => {
    const now = Date.now();
    const page = <T>(items: T[], cursor: string | undefined) =>
      cursor === undefined
        ? { data: items.slice(0, 1), next_cursor: 'next' }
        : { data: items.slice(1), next_cursor: null };
    const endpoints = [
      { id: 'we_1', url: 'https://a.example/in', secrets: [{}] },
      { id: 'we_2', url: 'https://b.example/in', secrets: [] },
    ];
    const facts = await serverFacts(
      {
        endpoints: {
          list: async (_f: unknown, _l: number, cursor?: string) => page(endpoints, cursor),
        } as never,
        sinks: {
          list: async (q: { cursor?: string }) => page([{ type: 'log' }, { type: 'email' }], q.cursor),
        } as never,
        keys: {
          unrevokedForReview: async () => [{ id: 'key_old', issued_at: now - 100 * 86_400_000 }],
        } as never,
        clients: { unrevokedForReview: async () => [{ id: 'oc_new', issued_at: now - 1000 }] } as never,
        listeners: () => [],
      },
      90 * 86_400_000,
    );
    assert.deepEqual(facts.endpoints, [
      { id: 'we_1', url: 'https://a.example/in', signingSecrets: 1 },
      { id: 'we_2', url: 'https://b.example/in', signingSecrets: 0 },
    ]);
    assert.deepEqual(facts.sinkTypes, ['log', 'email']);
    assert.deepEqual(facts.overdueCredentials, [{ id: 'key_old', ageDays: 100 }]);
  });
});
