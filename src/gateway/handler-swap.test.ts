import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { it } from 'node:test';
import { createHandlerSwap, type GatewayGeneration } from './handler-swap.ts';
import type { UpstreamProxy } from './upstream-proxy.ts';

interface FakePool {
  readonly proxy: UpstreamProxy;
  closes: number;
}

function pool(): FakePool {
  const fake = { closes: 0, proxy: undefined as unknown as UpstreamProxy };
  (fake as { proxy: unknown }).proxy = {
    close: async () => {
      fake.closes++;
    },
  };
  return fake;
}

/** A generation whose handler records the name of each request it took, and leaves it open. */
function generation(name: string, taken: string[], ...pools: FakePool[]): GatewayGeneration {
  return {
    handle: (req) => taken.push(`${name}:${req.url}`),
    proxies: pools.map((p) => p.proxy),
  };
}

/** A request and a response that closes when the test says so. */
function exchange(url: string): { req: IncomingMessage; res: ServerResponse; finish(): void } {
  const res = new EventEmitter() as ServerResponse;
  return { req: { url } as IncomingMessage, res, finish: () => res.emit('close') };
}

it('a request taken before a swap stays with the old handler; every later one goes to the new', () => {
  const taken: string[] = [];
  const swap = createHandlerSwap(generation('old', taken));
  const before = exchange('/a');
  swap.listener(before.req, before.res);
  swap.swap(generation('new', taken));
  const later = exchange('/b');
  swap.listener(later.req, later.res);
  assert.deepEqual(taken, ['old:/a', 'new:/b']);
});

it('closes a pool the new generation dropped only once the last request of the old one has ended', () => {
  const dropped = pool();
  const kept = pool();
  const swap = createHandlerSwap(generation('old', [], dropped, kept));
  const first = exchange('/1');
  const second = exchange('/2');
  swap.listener(first.req, first.res);
  swap.listener(second.req, second.res);
  swap.swap(generation('new', [], kept));

  first.finish();
  assert.equal(dropped.closes, 0, 'a request of the old generation could still forward to it');
  second.finish();
  assert.equal(dropped.closes, 1);
  assert.equal(kept.closes, 0, 'the new generation still uses it');
});

it('closes a dropped pool at once when the old generation has nothing in flight', () => {
  const dropped = pool();
  const swap = createHandlerSwap(generation('old', [], dropped));
  const done = exchange('/done');
  swap.listener(done.req, done.res);
  done.finish();
  swap.swap(generation('new', []));
  assert.equal(dropped.closes, 1);
});

it('keeps a pool open while any generation that holds it has a request in flight, across several swaps', () => {
  const shared = pool();
  const swap = createHandlerSwap(generation('one', [], shared));
  const slow = exchange('/slow');
  swap.listener(slow.req, slow.res);
  swap.swap(generation('two', [], shared));
  swap.swap(generation('three', []));
  assert.equal(shared.closes, 0, 'generation one still has /slow in flight');
  slow.finish();
  assert.equal(shared.closes, 1);
});

it('close() closes every pool still open, each once, and nothing after it closes again', async () => {
  const old = pool();
  const current = pool();
  const swap = createHandlerSwap(generation('old', [], old));
  const cut = exchange('/cut');
  swap.listener(cut.req, cut.res);
  swap.swap(generation('new', [], current));
  await swap.close();
  cut.finish();
  assert.deepEqual([old.closes, current.closes], [1, 1]);
});
