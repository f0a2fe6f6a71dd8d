import type { GatewayConfig } from './gateway-config.ts';

/**
 * Settings a reload cannot apply: Node's listeners take them when they are created (header limits
 * and timeouts, the plain-HTTP listener and who is trusted to say where a request came from), or
 * they come from environment variables read once at start, or the usage recorder took them at start. Named as in the gateway file.
 */
const RESTART_ONLY: readonly { name: string; of: (config: GatewayConfig) => unknown }[] = [
  { name: 'limits.max_header_bytes', of: (c) => c.limits.maxHeaderBytes },
  { name: 'limits.max_headers', of: (c) => c.limits.maxHeaders },
  { name: 'limits.headers_timeout_ms', of: (c) => c.limits.headersTimeoutMs },
  { name: 'limits.request_timeout_ms', of: (c) => c.limits.requestTimeoutMs },
  { name: 'limits.keep_alive_timeout_ms', of: (c) => c.limits.keepAliveTimeoutMs },
  { name: 'plain_http.revoke_exposed_credentials', of: (c) => c.plainHttp.revokeExposedCredentials },
  { name: 'monitoring', of: (c) => JSON.stringify(c.monitoring) },
  { name: 'GATEHOUSE_HTTP_PORT', of: (c) => c.httpPort },
  { name: 'GATEHOUSE_TRUSTED_PROXIES', of: (c) => c.trustedProxies.join(',') },
];

/** What a reload to `next` applies, and the settings it keeps from `running` until a restart. */
export interface ReloadPlan {
  /** `next`, with every restart-only setting as it is running now. */
  readonly applied: GatewayConfig;
  /** The restart-only settings `next` changes (empty when it changes none). */
  readonly needsRestart: readonly string[];
}

/** Splits a new gateway config into what a running gateway can take at once and what needs a restart. */
export function planReload(running: GatewayConfig, next: GatewayConfig): ReloadPlan {
  const needsRestart = RESTART_ONLY.filter(({ of }) => of(running) !== of(next)).map(({ name }) => name);
  const applied: GatewayConfig = Object.freeze({
    ...next,
    limits: Object.freeze({
      ...next.limits,
      maxHeaderBytes: running.limits.maxHeaderBytes,
      maxHeaders: running.limits.maxHeaders,
      headersTimeoutMs: running.limits.headersTimeoutMs,
      requestTimeoutMs: running.limits.requestTimeoutMs,
      keepAliveTimeoutMs: running.limits.keepAliveTimeoutMs,
    }),
    plainHttp: running.plainHttp,
    monitoring: running.monitoring,
    httpPort: running.httpPort,
    trustedProxies: running.trustedProxies,
  });
  return { applied, needsRestart };
}
