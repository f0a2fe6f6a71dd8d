import type { IncomingMessage, ServerResponse } from 'node:http';
import type { UpstreamProxy } from './upstream-proxy.ts';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** One built gateway: its request handler and the upstream pools that handler forwards to. */
export interface GatewayGeneration {
  readonly handle: RequestHandler;
  readonly proxies: readonly UpstreamProxy[];
}

export interface HandlerSwap {
  /** What the listener calls for every request (and for `checkContinue`): the current generation. */
  readonly listener: RequestHandler;
  /**
   * Makes `next` the handler of every request from now on. Requests already in the old one finish
   * there; a pool no generation in use holds any more is closed once the last of them has ended.
   */
  swap(next: GatewayGeneration): void;
  /** Closes every pool still open (after the listeners have drained). */
  close(): Promise<void>;
}

interface LiveGeneration extends GatewayGeneration {
  inFlight: number;
  retired: boolean;
  readonly release: () => void;
}

/**
 * Swaps the gateway's handler without a restart (O6). Each request is counted against the
 * generation that took it until its response closes, so a pool is closed only when no request
 * that could still forward to it is left: undici's `close()` waits for requests already
 * dispatched, but would refuse one that is still being authenticated when it is called.
 */
export function createHandlerSwap(first: GatewayGeneration): HandlerSwap {
  const holders = new Map<UpstreamProxy, number>();
  const closing = new Set<Promise<void>>();
  let closed = false;

  const retire = (proxy: UpstreamProxy) => {
    // Nothing waits on a background close but `close()`; its failure would only be an unhandled rejection.
    const done = proxy.close().catch(() => {});
    closing.add(done);
    void done.then(() => closing.delete(done));
  };
  const hold = (generation: GatewayGeneration) => {
    for (const proxy of generation.proxies) holders.set(proxy, (holders.get(proxy) ?? 0) + 1);
  };
  const letGo = (generation: GatewayGeneration) => {
    if (closed) return;
    for (const proxy of generation.proxies) {
      const left = (holders.get(proxy) ?? 1) - 1;
      if (left > 0) holders.set(proxy, left);
      else {
        holders.delete(proxy);
        retire(proxy);
      }
    }
  };
  const live = (generation: GatewayGeneration): LiveGeneration => {
    const entry: LiveGeneration = {
      ...generation,
      inFlight: 0,
      retired: false,
      release() {
        entry.inFlight--;
        if (entry.retired && entry.inFlight === 0) letGo(entry);
      },
    };
    hold(entry);
    return entry;
  };

  let current = live(first);
  return {
    listener(req, res) {
      const generation = current;
      generation.inFlight++;
      res.on('close', generation.release);
      generation.handle(req, res);
    },
    swap(next) {
      const previous = current;
      current = live(next);
      previous.retired = true;
      if (previous.inFlight === 0) letGo(previous);
    },
    async close() {
      closed = true;
      for (const proxy of holders.keys()) retire(proxy);
      holders.clear();
      await Promise.all(closing);
    },
  };
}
