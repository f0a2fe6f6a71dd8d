import type { Environment } from '../environments/environment.ts';
import type { EnvironmentRule, UpstreamTimeouts } from './config-file.ts';
import { UpstreamProxy } from './upstream-proxy.ts';

/**
 * The upstream of each environment (C6): a key is only ever forwarded to its own environment's
 * upstream, so a sandbox key cannot reach production. Environments with the same URL share a pool.
 */
export class Upstreams {
  readonly #byEnvironment: Readonly<Record<Environment, UpstreamProxy | null>>;
  /** Each pool by its URL and timeouts, so a reloaded gateway file keeps the pools it did not change. */
  readonly #byKey = new Map<string, UpstreamProxy>();

  /** `previous` (the set a reload replaces): its pools for the same URL and timeouts are taken over. */
  constructor(
    environments: Readonly<Record<Environment, EnvironmentRule>>,
    timeouts: UpstreamTimeouts,
    options: { connections?: number; previous?: Upstreams } = {},
  ) {
    const reusable = options.previous === undefined ? undefined : options.previous.#byKey;
    const proxyOf = (url: string | null): UpstreamProxy | null => {
      if (url === null) return null;
      const key = `${url} ${timeouts.connectMs} ${timeouts.headersMs} ${timeouts.bodyMs}`;
      let proxy = this.#byKey.get(key) ?? reusable?.get(key);
      if (!proxy) proxy = new UpstreamProxy(url, timeouts, options);
      this.#byKey.set(key, proxy);
      return proxy;
    };
    this.#byEnvironment = {
      production: proxyOf(environments.production.upstream),
      sandbox: proxyOf(environments.sandbox.upstream),
    };
  }

  /** The proxy for an environment, or null when that environment has no upstream configured. */
  for(environment: Environment): UpstreamProxy | null {
    return this.#byEnvironment[environment];
  }

  /** Every pool of this set, each once. */
  get proxies(): readonly UpstreamProxy[] {
    return [...this.#byKey.values()];
  }

  async close(): Promise<void> {
    await Promise.all(this.proxies.map((proxy) => proxy.close()));
  }
}
