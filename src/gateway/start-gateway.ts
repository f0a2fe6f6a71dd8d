import type { Server as HttpServer } from 'node:http';
import { createServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import { listenFailure } from '../config/startup-error.ts';
import type { Redis } from '../db/redis.ts';
import type { SecurityEvents } from '../monitor/security-events.ts';
import type { AuthStrategy } from './auth-strategy.ts';
import { createClientAddressResolver } from './client-address.ts';
import { drainServer } from './drain-server.ts';
import { createExposureHandler } from './exposed-credential.ts';
import { createGatewayHandler } from './gateway.ts';
import { applyListenerLimits, listenerOptions } from './listener-limits.ts';
import { MemoryRateLimiter } from './memory-rate-limiter.ts';
import { createPlainHttpListener } from './plain-http-listener.ts';
import { HEALTH_ROUTE, type PublicRoute } from './public-route.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { RedisRateLimiter } from './redis-rate-limiter.ts';
import { Upstreams } from './upstreams.ts';

export interface GatewayOptions {
  readonly config: Config;
  readonly tls: SecureContextOptions;
  readonly logger: Logger;
  /** Tried in order for every presented credential (API keys first; OAuth adds its own). */
  readonly strategies: readonly AuthStrategy[];
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
  /** Stops accepting, lets requests in flight finish (`drainServer`), then closes the upstream pools. */
  close(): Promise<void>;
}

/**
 * Starts the data path: the TLS listener on `GATEHOUSE_PORT` running the gateway pipeline, and the
 * plain-HTTP refusal listener when configured.
 *
 * @example
 * const gateway = await startGateway({ config, tls, logger, strategies: [createApiKeyStrategy(…)], securityEvents, redis: null });
 */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const { config, logger } = options;
  const gatewayConfig = config.gateway;
  const resolver = createClientAddressResolver(gatewayConfig.trustedProxies);
  const limiter: RateLimiter = options.redis
    ? new RedisRateLimiter({ redis: options.redis, prefix: config.redisKeyPrefix, logger })
    : new MemoryRateLimiter();
  const upstreams = new Upstreams(gatewayConfig.environments, gatewayConfig.upstreamTimeouts);
  const exposure = createExposureHandler({
    strategies: options.strategies,
    securityEvents: options.securityEvents,
    revoke: gatewayConfig.plainHttp.revokeExposedCredentials,
    logger,
  });
  const handler = createGatewayHandler({
    config: gatewayConfig,
    strategies: options.strategies,
    limiter,
    upstreams,
    resolver,
    exposure,
    publicRoutes: [HEALTH_ROUTE, ...(options.publicRoutes ?? [])],
    logger,
  });
  const server = createServer(
    {
      ...options.tls,
      ...listenerOptions(gatewayConfig.limits),
      minVersion: 'TLSv1.2',
      handshakeTimeout: 10_000,
    },
    handler,
  );
  server.on('checkContinue', handler);
  applyListenerLimits(server, gatewayConfig.limits, logger, true);
  const servers: (HttpsServer | HttpServer)[] = [server];
  try {
    await listen(server, config.data.port, config.data.host, 'GATEHOUSE_PORT');
    let plainHttpUrl: string | null = null;
    if (gatewayConfig.httpPort !== null) {
      const plain = createPlainHttpListener({ limits: gatewayConfig.limits, resolver, exposure, logger });
      servers.push(plain);
      await listen(plain, gatewayConfig.httpPort, config.data.host, 'GATEHOUSE_HTTP_PORT');
      plainHttpUrl = urlOf('http', plain.address() as AddressInfo);
    }
    logger.info(
      {
        component: 'gateway',
        config_file: gatewayConfig.configFile,
        routes: gatewayConfig.routes.length,
        upstreams: {
          production: gatewayConfig.environments.production.upstream !== null,
          sandbox: gatewayConfig.environments.sandbox.upstream !== null,
        },
        rate_limits: options.redis ? 'redis' : 'memory',
      },
      'gateway ready',
    );
    return {
      url: urlOf('https', server.address() as AddressInfo),
      plainHttpUrl,
      async close() {
        await Promise.all(servers.map((server) => drainServer(server)));
        await upstreams.close();
        await limiter.close();
      },
    };
  } catch (error) {
    await Promise.all(servers.map((server) => drainServer(server)));
    await upstreams.close();
    await limiter.close();
    throw error;
  }
}

function listen(
  server: HttpsServer | HttpServer,
  port: number,
  host: string,
  portVariable: string,
): Promise<void> {
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
