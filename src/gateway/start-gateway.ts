import type { Server as HttpServer } from 'node:http';
import { createServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo, Server as NetServer } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import type { Logger } from 'pino';
import type { BaseConfig } from '../config/config.ts';
import { listenFailure } from '../config/startup-error.ts';
import type { Redis } from '../db/redis.ts';
import type { SecurityEvents } from '../monitor/security-events.ts';
import { acceptPlainHttp } from '../net/plain-http-on-tls-port.ts';
import { createRateLimiter } from '../rate-limit/create-rate-limiter.ts';
import { TLS_SERVER_POLICY } from '../tls/tls-policy.ts';
import type { AuthStrategy } from './auth-strategy.ts';
import { createClientAddressResolver } from './client-address.ts';
import { drainServer } from './drain-server.ts';
import { createExposureHandler } from './exposed-credential.ts';
import { createGatewayHandler } from './gateway.ts';
import type { GatewayConfig } from './gateway-config.ts';
import { createHandlerSwap, type GatewayGeneration } from './handler-swap.ts';
import { type InFlightCaps, InFlightLimits } from './in-flight-limit.ts';
import { applyListenerLimits, listenerOptions } from './listener-limits.ts';
import { createPlainHttpListener, createPlainHttpRefusal } from './plain-http-listener.ts';
import { HEALTH_ROUTE, type PublicRoute } from './public-route.ts';
import { planReload } from './restart-only-settings.ts';
import { Upstreams } from './upstreams.ts';

export interface GatewayOptions {
  readonly config: BaseConfig & { readonly gateway: GatewayConfig };
  readonly tls: SecureContextOptions;
  readonly logger: Logger;
  /** Tried in order for every presented credential (API keys first; OAuth adds its own). */
  readonly strategies: readonly AuthStrategy[];
  /** Strategies that only name and revoke exposed credentials (admin tokens), never authenticate. */
  readonly exposureOnly?: readonly AuthStrategy[];
  /** Endpoints answered before authentication (`GET /healthz` is always there). */
  readonly publicRoutes?: readonly PublicRoute[];
  readonly securityEvents: SecurityEvents;
  /** Shared rate limits when set; otherwise they live in this process. */
  readonly redis: Redis | null;
}

export interface RunningGateway {
  readonly url: string;
  /** The plain-HTTP refusal listener, when `GATEHOUSE_HTTP_PORT` is set. */
  readonly plainHttpUrl: string | null;
  /**
   * Serves `gatewayConfig` (a gateway file read again, already validated) from the next request
   * on, without dropping a connection; requests in flight finish as they began (O6).
   */
  reload(gatewayConfig: GatewayConfig): Promise<GatewayReloaded>;
  /** Stops accepting, lets requests in flight finish (`drainServer`), then closes the upstream pools. */
  close(): Promise<void>;
}

/** What a reload applied. */
export interface GatewayReloaded {
  readonly routes: number;
  /** Settings the new file changes that only a restart applies (named as in the file); kept as running. */
  readonly needsRestart: readonly string[];
}

/**
 * Starts the data path: the TLS listener on `GATEHOUSE_PORT` running the gateway pipeline (plain
 * HTTP sent to it is refused in plain HTTP), and the plain-HTTP refusal listener when configured.
 *
 * @example
 * const gateway = await startGateway({ config, tls, logger, strategies: [createApiKeyStrategy(…)], securityEvents, redis: null });
 */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const { config, logger } = options;
  const gatewayConfig = config.gateway;
  const resolver = createClientAddressResolver(gatewayConfig.trustedProxies);
  const limiter = createRateLimiter({ redis: options.redis, prefix: config.redisKeyPrefix, logger });
  const exposure = createExposureHandler({
    strategies: [...(options.exposureOnly ?? []), ...options.strategies],
    securityEvents: options.securityEvents,
    revoke: gatewayConfig.plainHttp.revokeExposedCredentials,
    source: 'gateway',
    logger,
  });
  const publicRoutes = [HEALTH_ROUTE, ...(options.publicRoutes ?? [])];
  const inFlight = new InFlightLimits(inFlightCapsOf(gatewayConfig));
  // What a reload builds anew; the limiter's buckets, the in-flight counts and the strategies'
  // caches carry over.
  const generationOf = (gateway: GatewayConfig, upstreams: Upstreams): GatewayGeneration => ({
    handle: createGatewayHandler({
      config: gateway,
      strategies: options.strategies,
      limiter,
      inFlight,
      upstreams,
      resolver,
      exposure,
      publicRoutes,
      logger,
    }),
    proxies: upstreams.proxies,
  });
  const { headersTimeoutMs } = gatewayConfig.limits;
  let running = gatewayConfig;
  let upstreams = new Upstreams(gatewayConfig.environments, gatewayConfig.upstreamTimeouts);
  const handlers = createHandlerSwap(generationOf(gatewayConfig, upstreams));
  const handler = handlers.listener;
  const server = createServer(
    {
      ...options.tls,
      ...listenerOptions(gatewayConfig.limits),
      ...TLS_SERVER_POLICY,
      // A client that has not finished TLS by then cannot send its headers in time either.
      handshakeTimeout: headersTimeoutMs,
    },
    handler,
  );
  server.on('checkContinue', handler);
  applyListenerLimits(server, gatewayConfig.limits, logger, true);
  const refusalDeps = { resolver, exposure, logger, deadlineMs: headersTimeoutMs };
  acceptPlainHttp(server, createPlainHttpRefusal({ ...refusalDeps, channel: 'plain_http_on_tls_port' }), {
    firstByteTimeoutMs: headersTimeoutMs,
  });
  const servers: (HttpsServer | HttpServer)[] = [server];
  let plain: NetServer | null = null;
  const closeServers = () =>
    Promise.all([...servers.map((server) => drainServer(server)), closePlain(plain)]);
  try {
    await listen(server, config.data.port, config.data.host, 'GATEHOUSE_PORT');
    let plainHttpUrl: string | null = null;
    if (gatewayConfig.httpPort !== null) {
      plain = createPlainHttpListener(refusalDeps);
      await listen(plain, gatewayConfig.httpPort, config.data.host, 'GATEHOUSE_HTTP_PORT');
      plainHttpUrl = urlOf('http', plain.address() as AddressInfo);
    }
    logger.info(
      {
        component: 'gateway',
        config_file: gatewayConfig.configFile,
        routes: gatewayConfig.routes.length,
        upstreams: upstreamsSet(gatewayConfig),
        rate_limits: options.redis ? 'redis' : 'memory',
      },
      'gateway ready',
    );
    return {
      url: urlOf('https', server.address() as AddressInfo),
      plainHttpUrl,
      async reload(next) {
        const { applied, needsRestart } = planReload(running, next);
        const previous = upstreams.proxies;
        const nextUpstreams = new Upstreams(applied.environments, applied.upstreamTimeouts, {
          previous: upstreams,
        });
        let generation: GatewayGeneration;
        try {
          generation = generationOf(applied, nextUpstreams);
        } catch (error) {
          const opened = nextUpstreams.proxies.filter((proxy) => !previous.includes(proxy));
          await Promise.all(opened.map((proxy) => proxy.close()));
          throw error;
        }
        inFlight.setCaps(inFlightCapsOf(applied));
        handlers.swap(generation);
        upstreams = nextUpstreams;
        running = applied;
        logger.info(
          {
            component: 'gateway',
            config_file: applied.configFile,
            routes: applied.routes.length,
            upstreams: upstreamsSet(applied),
            needs_restart: needsRestart,
          },
          needsRestart.length === 0
            ? 'gateway file reloaded'
            : `gateway file reloaded; these settings keep their running values until a restart: ${needsRestart.join(', ')}`,
        );
        return { routes: applied.routes.length, needsRestart };
      },
      async close() {
        await closeServers();
        await handlers.close();
        await limiter.close();
      },
    };
  } catch (error) {
    await closeServers();
    await handlers.close();
    await limiter.close();
    throw error;
  }
}

/** The plain listener's connections end by themselves within its deadline; close waits for them. */
function closePlain(plain: NetServer | null): Promise<void> {
  if (plain === null || !plain.listening) return Promise.resolve();
  return new Promise((resolve) => plain.close(() => resolve()));
}

function upstreamsSet(config: GatewayConfig): Record<'production' | 'sandbox', boolean> {
  return {
    production: config.environments.production.upstream !== null,
    sandbox: config.environments.sandbox.upstream !== null,
  };
}

function listen(server: NetServer, port: number, host: string, portVariable: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: Error) =>
      reject(listenFailure(error, { portVariable, hostVariable: 'GATEHOUSE_HOST', host, port }));
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
}

function urlOf(scheme: 'http' | 'https', address: AddressInfo): string {
  const host =
    address.family === 'IPv6'
      ? `[${address.address}]`
      : address.address === '0.0.0.0'
        ? '127.0.0.1'
        : address.address;
  return `${scheme}://${host}:${address.port}`;
}

function inFlightCapsOf(gateway: GatewayConfig): InFlightCaps {
  return { perCredential: gateway.limits.maxInFlightPerCredential, perIp: gateway.limits.maxInFlightPerIp };
}
