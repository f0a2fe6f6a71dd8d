import type { Environment } from '../keys/api-key.ts';
import type { EnvironmentRule, UpstreamTimeouts } from './config-file.ts';
import { UpstreamProxy } from './upstream-proxy.ts';

/**
 * The upstream of each environment (C6): a key is only ever forwarded to its own environment's
 * upstream, so a sandbox key cannot reach production. Environments with the same URL share a pool.
 */
export class Upstreams {
  readonly #byEnvironment: Readonly<Record<Environment, UpstreamProxy | null>>;
  readonly #proxies: UpstreamProxy[] = [];

  constructor(
    environments: Readonly<Record<Environment, EnvironmentRule>>,
    timeouts: UpstreamTimeouts,
    options: { connections?: number } = {},
  ) {
    const byUrl = new Map<string, UpstreamProxy>();
    const proxyOf = (url: string | null): UpstreamProxy | null => {
      if (url === null) return null;
      let proxy = byUrl.get(url);
      if (!proxy) {
        proxy = new UpstreamProxy(url, timeouts, options);
        byUrl.set(url, proxy);
        this.#proxies.push(proxy);
      }
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

  async close(): Promise<void> {
    await Promise.all(this.#proxies.map((proxy) => proxy.close()));
  }
}
