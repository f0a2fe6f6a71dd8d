import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Environment } from '../environments/environment.ts';
import { clientNetworkOf } from '../net/client-network.ts';
import type { RateLimit } from '../rate-limit/rate-limiter.ts';
import {
  type RateLimiter,
  type RateLimitPolicy,
  rateLimitField,
  rateLimitPolicy,
} from '../rate-limit/rate-limiter.ts';
import type { LimitDecision } from '../rate-limit/token-bucket.ts';
import { type AuthStrategy, authenticate, type Caller } from './auth-strategy.ts';
import type { ClientAddressResolver } from './client-address.ts';
import type { ExposureHandler } from './exposed-credential.ts';
import type { GatewayConfig } from './gateway-config.ts';
import { HSTS, REQUEST_ID_HEADER, sendProblem } from './gateway-response.ts';
import { IN_FLIGHT_REFUSAL_DETAIL, type InFlightLimits } from './in-flight-limit.ts';
import { presentedCredential } from './presented-credential.ts';
import { HEALTH_ROUTE, type PublicRoute } from './public-route.ts';
import { PublicRoutes } from './public-routes.ts';
import { credentialsInRequest } from './request-credentials.ts';
import { createRequestEndings } from './request-endings.ts';
import { readRequestHeaders } from './request-headers.ts';
import { canonicalHost } from './request-host.ts';
import { createRequestIds } from './request-id.ts';
import { createRequestLog, type RequestObserver, type RequestRecord } from './request-log.ts';
import { normalizeRequestTarget, requestPathLength } from './request-path.ts';
import { ROUTE_REFUSALS, RouteTable } from './route-table.ts';
import type { Upstreams } from './upstreams.ts';
import { readCheckedBody, readWholeBody } from './whole-body.ts';

export interface GatewayDeps {
  readonly config: GatewayConfig;
  readonly strategies: readonly AuthStrategy[];
  readonly limiter: RateLimiter;
  /** Shared by every generation of a reloaded gateway; its caps are this configuration's. */
  readonly inFlight: InFlightLimits;
  readonly upstreams: Upstreams;
  readonly resolver: ClientAddressResolver;
  readonly exposure: ExposureHandler;
  readonly publicRoutes: readonly PublicRoute[];
  readonly logger: Logger;
  readonly observe?: RequestObserver | undefined;
}

const CHALLENGE = 'Bearer realm="gatehouse"';
const MISSING = ['www-authenticate', CHALLENGE];
const INVALID_REQUEST = ['www-authenticate', `${CHALLENGE}, error="invalid_request"`];
const INVALID_TOKEN = ['www-authenticate', `${CHALLENGE}, error="invalid_token"`];

/**
 * The data-path pipeline (one request, in order): header limits → HTTPS check behind trusted
 * proxies → path sanity → public routes → per-IP limit → credential → authentication → the
 * environment's upstream → route and scopes → per-credential limit → body size → body schema
 * (routes that have one; other small bodies are read whole) → in-flight caps → proxy. Each refusal
 * is a problem+json with a stable code; the upstream sees only requests that passed all.
 */
export function createGatewayHandler(deps: GatewayDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { config, strategies, limiter, inFlight, upstreams, resolver, exposure } = deps;
  const routes = new RouteTable(config.routes, config.limits.maxBodyBytes, {
    caseSensitive: config.paths.caseSensitive,
  });
  const log = createRequestLog(deps.logger, deps.observe);
  const nextRequestId = createRequestIds();
  const logger = deps.logger.child({ component: 'gateway' });
  const maxHeaderFields = config.limits.maxHeaders * 2;
  const { bufferedBodyBytes } = config.limits;
  const ipPolicy = config.rateLimits.perIp === null ? null : rateLimitPolicy('ip', config.rateLimits.perIp);
  const defaultCredentialPolicy =
    config.rateLimits.perCredential === null
      ? null
      : rateLimitPolicy('credential', config.rateLimits.perCredential);
  const credentialPolicies = new WeakMap<RateLimit, RateLimitPolicy>();
  const credentialPolicyOf = (caller: Caller): RateLimitPolicy | null => {
    if (caller.rateLimit === null) return defaultCredentialPolicy;
    let policy = credentialPolicies.get(caller.rateLimit);
    if (policy === undefined) {
      policy = rateLimitPolicy('credential', caller.rateLimit);
      credentialPolicies.set(caller.rateLimit, policy);
    }
    return policy;
  };
  const publicRoutes = new PublicRoutes(deps.publicRoutes, log, logger);
  const hostEnvironments = new Map<string, Environment>();
  for (const environment of ['production', 'sandbox'] as const) {
    for (const host of config.environments[environment].hosts) hostEnvironments.set(host, environment);
  }
  /** `host` is canonical (`canonicalHost`): lower case, no trailing dot. */
  const environmentOfHost = (host: string | undefined): Environment | undefined => {
    if (hostEnvironments.size === 0 || host === undefined) return undefined;
    const colon = host.lastIndexOf(':');
    return hostEnvironments.get(colon > host.indexOf(']') ? host.slice(0, colon) : host);
  };

  const endings = createRequestEndings(log, logger);
  const { refuse } = endings;

  /** A Gatehouse endpoint for authenticated callers: held to the caller's rate limit, then served. */
  async function serveAuthenticated(
    route: PublicRoute,
    caller: Caller,
    req: IncomingMessage,
    res: ServerResponse,
    record: RequestRecord,
  ): Promise<void> {
    const policy = credentialPolicyOf(caller);
    if (policy !== null) {
      let decision = limiter.take(caller.credentialId, policy, Date.now(), caller.memo);
      if (decision instanceof Promise) decision = await decision;
      if (!decision.allowed) return endings.rateLimited(res, record, policy, decision);
    }
    publicRoutes.serve(route, req, res, record, caller);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const received = req.url ?? '';
    const receivedPathEnd = requestPathLength(received);
    // What is matched, logged and forwarded: `received` itself unless its path holds a '%'.
    const target = receivedPathEnd === -1 ? received : normalizeRequestTarget(received, receivedPathEnd);
    const pathEnd = receivedPathEnd === -1 ? -1 : receivedPathEnd + target.length - received.length;
    const method = req.method ?? 'GET';
    const peer = req.socket.remoteAddress ?? '';
    const headers = readRequestHeaders(req.rawHeaders);
    const trustedPeer = resolver.trusts(peer);
    const now = Date.now();
    const record: RequestRecord = {
      requestId: nextRequestId(),
      started: performance.now(),
      method,
      target,
      ip: trustedPeer ? resolver.clientIp(peer, headers.forwardedFor) : resolver.clientIp(peer, undefined),
      userAgent: headers.userAgent,
      bodyPending:
        headers.transferEncoding !== undefined ||
        (headers.contentLength !== undefined && headers.contentLength !== '0'),
      route: null,
      caller: null,
      credentialId: null,
      integratorId: null,
      code: null,
      upstreamStatus: null,
    };

    if (req.rawHeaders.length > maxHeaderFields)
      return refuse(res, record, 'headers_too_large', 'The request has more header fields than accepted');
    if (trustedPeer && headers.forwardedProto !== undefined && !allHttps(headers.forwardedProto)) {
      exposure(credentialsInRequest(target, req.rawHeaders), record.ip, 'forwarded_proto_http');
      return refuse(res, record, 'https_required', 'Use HTTPS; plain HTTP requests are refused');
    }
    const host = headers.host === undefined ? undefined : canonicalHost(headers.host);
    if (host === null || headers.duplicateHost)
      return refuse(res, record, 'invalid_host', 'Send one Host header naming one host name or IP address');
    if (pathEnd === -1) return refuse(res, record, 'invalid_path', 'The request path is not acceptable');

    // What the per-address limits count: the address, or for IPv6 its /64 (one host holds a /64).
    const network = record.ip.includes(':') ? clientNetworkOf(record.ip) : record.ip;
    const publicRoute = publicRoutes.find(method, target, pathEnd);
    // Every request but a health check counts against its address's bucket, public routes too.
    if (ipPolicy !== null && publicRoute !== HEALTH_ROUTE) {
      let decision = limiter.take(network, ipPolicy, now);
      if (decision instanceof Promise) decision = await decision;
      if (!decision.allowed) return endings.rateLimited(res, record, ipPolicy, decision);
    }
    if (publicRoute !== undefined && 'kind' in publicRoute)
      return publicRoute.kind === 'wrong_method'
        ? refuse(res, record, 'method_not_allowed', 'This endpoint does not take this method; see Allow', [
            'allow',
            publicRoute.allow,
          ])
        : refuse(res, record, 'not_found', 'No such endpoint');
    if (publicRoute !== undefined && publicRoute.authenticated !== true)
      return publicRoutes.serve(publicRoute, req, res, record);

    const presence = presentedCredential(headers);
    if (presence.kind === 'none')
      return refuse(
        res,
        record,
        'credential_missing',
        'Send an API key in X-API-Key or an Authorization: Bearer header',
        MISSING,
      );
    if (presence.kind === 'invalid')
      return refuse(res, record, 'invalid_request', presence.detail, INVALID_REQUEST);

    let outcome = authenticate(strategies, presence.credential, {
      ip: record.ip,
      environment: environmentOfHost(host),
    });
    if (outcome instanceof Promise) outcome = await outcome;
    if (!outcome.ok) {
      record.credentialId = outcome.credentialId ?? null;
      record.integratorId = outcome.integratorId ?? null;
      const { failure } = outcome;
      return refuse(res, record, failure.code, failure.detail, failure.status === 401 ? INVALID_TOKEN : null);
    }
    const caller = outcome.caller;
    record.caller = caller;
    if (publicRoute !== undefined) return serveAuthenticated(publicRoute, caller, req, res, record);

    const upstream = upstreams.for(caller.environment);
    if (upstream === null)
      return refuse(
        res,
        record,
        'upstream_not_configured',
        `No upstream is configured for the ${caller.environment} environment`,
      );
    const route = routes.resolve(method, target, pathEnd);
    if (typeof route === 'string') {
      return refuse(res, record, route, ROUTE_REFUSALS[route].detail);
    }
    record.route = route.pattern;
    if (!hasScopes(caller.scopes, route.scopes)) {
      return refuse(
        res,
        record,
        'insufficient_scope',
        'The credential lacks a scope this endpoint requires',
        ['www-authenticate', `${CHALLENGE}, error="insufficient_scope", scope="${route.scopes.join(' ')}"`],
      );
    }

    const policy = credentialPolicyOf(caller);
    let limit: LimitDecision | null = null;
    if (policy !== null) {
      let decision = limiter.take(caller.credentialId, policy, now, caller.memo);
      if (decision instanceof Promise) decision = await decision;
      if (!decision.allowed) return endings.rateLimited(res, record, policy, decision);
      limit = decision;
    }

    let body: 'none' | 'sized' | 'chunked' | Buffer = 'none';
    if (headers.transferEncoding !== undefined) body = 'chunked';
    else if (headers.contentLength !== undefined && headers.contentLength !== '0') {
      if (Number(headers.contentLength) > route.maxBodyBytes)
        return endings.bodyTooLarge(res, record, route.maxBodyBytes);
      body = 'sized';
    }
    if (route.validateBody !== null) {
      const read = { req, res, record, headers, maxBodyBytes: route.maxBodyBytes };
      const checked = await readCheckedBody(read, route.validateBody, endings, log);
      if (checked === null) return;
      body = checked;
    } else if (body === 'sized' && Number(headers.contentLength) <= bufferedBodyBytes) {
      // A small body is read before an upstream connection is taken: a slow sender holds none.
      const whole = await readWholeBody(
        { req, res, record, headers, maxBodyBytes: route.maxBodyBytes },
        endings,
      );
      if (whole === null) return;
      body = whole;
    }

    // Counted from here, where an upstream connection is taken, until undici reports the end.
    const lease = inFlight.admit(caller.credentialId, network);
    if (typeof lease === 'string')
      return refuse(res, record, 'too_many_in_flight', IN_FLIGHT_REFUSAL_DETAIL[lease], RETRY_SOON);

    const forward = headers.forward;
    forward.push(
      'gatehouse-integrator-id',
      caller.integratorId,
      'gatehouse-credential-id',
      caller.credentialId,
      'gatehouse-scopes',
      caller.scope,
      'gatehouse-environment',
      caller.environment,
      REQUEST_ID_HEADER,
      record.requestId,
      'x-forwarded-for',
      record.ip,
      'x-forwarded-proto',
      'https',
    );
    if (host !== undefined) forward.push('x-forwarded-host', host);
    const own =
      policy === null || limit === null
        ? [REQUEST_ID_HEADER, record.requestId, 'strict-transport-security', HSTS]
        : [
            REQUEST_ID_HEADER,
            record.requestId,
            'strict-transport-security',
            HSTS,
            'ratelimit-policy',
            policy.header,
            'ratelimit',
            rateLimitField(policy, limit),
          ];
    if (headers.expectContinue && !Buffer.isBuffer(body)) res.writeContinue();
    try {
      upstream.forward({
        req,
        res,
        method,
        target,
        headers: forward,
        body,
        maxBodyBytes: route.maxBodyBytes,
        responseHeaders: own,
        done: (result) => {
          lease.release();
          endings.proxied(res, record, result);
        },
      });
    } catch (error) {
      lease.release();
      throw error;
    }
  }

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      const requestId = nextRequestId();
      logger.error({ err: error, request_id: requestId }, 'gateway request failed unexpectedly');
      if (!res.headersSent)
        sendProblem(
          res,
          requestId,
          500,
          'internal_error',
          'Something went wrong on our side; quote the request_id to support',
        );
      else res.destroy();
    });
  };
}

const RETRY_SOON = Object.freeze(['retry-after', '1']);

/** Every value of X-Forwarded-Proto (one per proxy hop) says https. */
function allHttps(value: string): boolean {
  if (value === 'https') return true;
  for (const part of value.split(',')) if (part.trim().toLowerCase() !== 'https') return false;
  return true;
}

function hasScopes(held: readonly string[], required: readonly string[]): boolean {
  for (let i = 0; i < required.length; i++) if (!held.includes(required[i] as string)) return false;
  return true;
}
