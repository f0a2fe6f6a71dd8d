import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Environment, RateLimit } from '../keys/api-key.ts';
import { type AuthStrategy, authenticate, type Caller } from './auth-strategy.ts';
import { type BodyValidator, isJsonMediaType } from './body-schema.ts';
import type { ClientAddressResolver } from './client-address.ts';
import type { ExposureHandler } from './exposed-credential.ts';
import type { GatewayConfig } from './gateway-config.ts';
import { HSTS, REQUEST_ID_HEADER, sendProblem } from './gateway-response.ts';
import { IN_FLIGHT_REFUSAL_DETAIL, type InFlightLimits } from './in-flight-limit.ts';
import { presentedCredential } from './presented-credential.ts';
import type { PublicRoute, PublicRouteContext } from './public-route.ts';
import {
  type RateLimiter,
  type RateLimitPolicy,
  rateLimitField,
  rateLimitPolicy,
  retryAfterSeconds,
} from './rate-limiter.ts';
import { readRequestBody } from './request-body.ts';
import { credentialsInRequest } from './request-credentials.ts';
import { type RequestHeaders, readRequestHeaders } from './request-headers.ts';
import { canonicalHost } from './request-host.ts';
import { createRequestIds } from './request-id.ts';
import { createRequestLog, type RequestRecord } from './request-log.ts';
import { normalizeRequestTarget, requestPathLength } from './request-path.ts';
import { ROUTE_REFUSALS, RouteTable } from './route-table.ts';
import type { LimitDecision } from './token-bucket.ts';
import type { ProxyOutcome } from './upstream-proxy.ts';
import type { Upstreams } from './upstreams.ts';

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
  const log = createRequestLog(deps.logger);
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
  const publicRoutes = new Map<string, Map<string, PublicRoute>>();
  for (const route of deps.publicRoutes) {
    let byMethod = publicRoutes.get(route.path);
    if (!byMethod) {
      byMethod = new Map();
      publicRoutes.set(route.path, byMethod);
    }
    if (byMethod.has(route.method))
      throw new Error(`public route ${route.method} ${route.path} registered twice`);
    byMethod.set(route.method, route);
  }
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

  const refuse = (
    res: ServerResponse,
    record: RequestRecord,
    status: number,
    code: string,
    detail: string,
    extra: readonly string[] | null = null,
    close = false,
  ): void => {
    record.code = code;
    sendProblem(
      res,
      record.requestId,
      status,
      code,
      detail,
      extra,
      close || record.bodyPending ? CLOSE : TLS_ONLY,
    );
    log(record, status);
  };

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
      return refuse(
        res,
        record,
        431,
        'headers_too_large',
        'The request has more header fields than accepted',
      );
    if (trustedPeer && headers.forwardedProto !== undefined && !allHttps(headers.forwardedProto)) {
      exposure(credentialsInRequest(target, req.rawHeaders), record.ip, 'forwarded_proto_http');
      return refuse(res, record, 403, 'https_required', 'Use HTTPS; plain HTTP requests are refused');
    }
    const host = headers.host === undefined ? undefined : canonicalHost(headers.host);
    if (host === null || headers.duplicateHost)
      return refuse(
        res,
        record,
        400,
        'invalid_host',
        'Send one Host header naming one host name or IP address',
      );
    if (pathEnd === -1) return refuse(res, record, 400, 'invalid_path', 'The request path is not acceptable');

    if (publicRoutes.size > 0) {
      const route = publicRoutes
        .get(pathEnd === target.length ? target : target.slice(0, pathEnd))
        ?.get(method);
      if (route !== undefined) {
        if (route.path !== '/healthz' && ipPolicy !== null) {
          let decision = limiter.take(record.ip, ipPolicy, now);
          if (decision instanceof Promise) decision = await decision;
          if (!decision.allowed) return refuseRateLimited(res, record, ipPolicy, decision);
        }
        return servePublic(route, req, res, record);
      }
    }

    if (ipPolicy !== null) {
      let decision = limiter.take(record.ip, ipPolicy, now);
      if (decision instanceof Promise) decision = await decision;
      if (!decision.allowed) return refuseRateLimited(res, record, ipPolicy, decision);
    }

    const presence = presentedCredential(headers);
    if (presence.kind === 'none')
      return refuse(
        res,
        record,
        401,
        'credential_missing',
        'Send an API key in X-API-Key or an Authorization: Bearer header',
        MISSING,
      );
    if (presence.kind === 'invalid')
      return refuse(res, record, 400, 'invalid_request', presence.detail, INVALID_REQUEST);

    let outcome = authenticate(strategies, presence.credential, {
      ip: record.ip,
      environment: environmentOfHost(host),
    });
    if (outcome instanceof Promise) outcome = await outcome;
    if (!outcome.ok) {
      record.credentialId = outcome.credentialId ?? null;
      record.integratorId = outcome.integratorId ?? null;
      const { failure } = outcome;
      return refuse(
        res,
        record,
        failure.status,
        failure.code,
        failure.detail,
        failure.status === 401 ? INVALID_TOKEN : null,
      );
    }
    const caller = outcome.caller;
    record.caller = caller;

    const upstream = upstreams.for(caller.environment);
    if (upstream === null)
      return refuse(
        res,
        record,
        503,
        'upstream_not_configured',
        `No upstream is configured for the ${caller.environment} environment`,
      );
    const route = routes.resolve(method, target, pathEnd);
    if (typeof route === 'string') {
      const { status, detail } = ROUTE_REFUSALS[route];
      return refuse(res, record, status, route, detail);
    }
    record.route = route.pattern;
    if (!hasScopes(caller.scopes, route.scopes)) {
      return refuse(
        res,
        record,
        403,
        'insufficient_scope',
        'The credential lacks a scope this endpoint requires',
        ['www-authenticate', `${CHALLENGE}, error="insufficient_scope", scope="${route.scopes.join(' ')}"`],
      );
    }

    const policy = credentialPolicyOf(caller);
    let limit: LimitDecision | null = null;
    if (policy !== null) {
      let decision = limiter.take(caller.credentialId, policy, now);
      if (decision instanceof Promise) decision = await decision;
      if (!decision.allowed) return refuseRateLimited(res, record, policy, decision);
      limit = decision;
    }

    let body: 'none' | 'sized' | 'chunked' | Buffer = 'none';
    if (headers.transferEncoding !== undefined) body = 'chunked';
    else if (headers.contentLength !== undefined && headers.contentLength !== '0') {
      if (Number(headers.contentLength) > route.maxBodyBytes)
        return refuseBodyTooLarge(res, record, route.maxBodyBytes);
      body = 'sized';
    }
    if (route.validateBody !== null) {
      const checked = await checkedBody(req, res, record, route.validateBody, route.maxBodyBytes, headers);
      if (checked === null) return;
      body = checked;
    } else if (body === 'sized' && Number(headers.contentLength) <= bufferedBodyBytes) {
      // A small body is read before an upstream connection is taken: a slow sender holds none.
      const read = await wholeBody(req, res, record, route.maxBodyBytes, headers);
      if (read === null) return;
      body = read;
    }

    // Counted from here, where an upstream connection is taken, until undici reports the end.
    const lease = inFlight.admit(caller.credentialId, record.ip);
    if (typeof lease === 'string')
      return refuse(res, record, 429, 'too_many_in_flight', IN_FLIGHT_REFUSAL_DETAIL[lease], RETRY_SOON);

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
          finishProxied(res, record, result);
        },
      });
    } catch (error) {
      lease.release();
      throw error;
    }
  }

  /**
   * The body of a route with a `body_schema`, read whole and checked; null when the request was
   * answered instead (415, 413, 400, or the client went away).
   */
  async function checkedBody(
    req: IncomingMessage,
    res: ServerResponse,
    record: RequestRecord,
    validate: BodyValidator,
    maxBodyBytes: number,
    headers: RequestHeaders,
  ): Promise<Buffer | null> {
    if (!isJsonMediaType(headers.contentType)) {
      refuse(res, record, 415, 'unsupported_media_type', 'Send the body as application/json');
      return null;
    }
    const body = await wholeBody(req, res, record, maxBodyBytes, headers);
    if (body === null) return null;
    const verdict = validate(body);
    if (verdict.ok) return body;
    record.code = verdict.code;
    sendProblem(res, record.requestId, 400, verdict.code, verdict.detail, null, {
      tls: true,
      ...(verdict.errors ? { errors: verdict.errors } : {}),
    });
    log(record, 400);
    return null;
  }

  /** The body read into memory; null when the request was answered instead (413, client gone). */
  async function wholeBody(
    req: IncomingMessage,
    res: ServerResponse,
    record: RequestRecord,
    maxBodyBytes: number,
    headers: RequestHeaders,
  ): Promise<Buffer | null> {
    if (headers.expectContinue) res.writeContinue();
    const read = await readRequestBody(req, maxBodyBytes);
    if (!read.ok) {
      if (read.reason === 'too_large') refuseBodyTooLarge(res, record, maxBodyBytes);
      else {
        record.code = 'client_closed';
        if (!res.destroyed) res.destroy();
        log(record, 499);
      }
      return null;
    }
    record.bodyPending = false;
    return read.body;
  }

  function refuseBodyTooLarge(res: ServerResponse, record: RequestRecord, maxBodyBytes: number): void {
    refuse(res, record, 413, 'body_too_large', `The body may be at most ${maxBodyBytes} bytes`, null, true);
  }

  function finishProxied(res: ServerResponse, record: RequestRecord, outcome: ProxyOutcome): void {
    if (outcome.ok) {
      record.upstreamStatus = outcome.status;
      log(record, outcome.status);
      return;
    }
    const { failure } = outcome;
    if (failure === 'client_closed' || res.headersSent) {
      record.code = failure === 'client_closed' ? 'client_closed' : `${failure}_mid_response`;
      if (!res.destroyed) res.destroy();
      log(record, failure === 'client_closed' ? 499 : res.statusCode);
      return;
    }
    if (failure === 'body_too_large') {
      refuse(res, record, 413, 'body_too_large', 'The body is larger than this endpoint accepts', null, true);
      return;
    }
    logger.warn(
      {
        request_id: record.requestId,
        err_code: (outcome.error as NodeJS.ErrnoException).code ?? outcome.error.name,
        err_message: outcome.error.message,
      },
      'upstream request failed',
    );
    if (failure === 'gateway_timeout')
      refuse(res, record, 504, 'gateway_timeout', 'The upstream service did not answer in time');
    else refuse(res, record, 502, 'bad_gateway', 'The upstream service could not be reached');
  }

  function refuseRateLimited(
    res: ServerResponse,
    record: RequestRecord,
    policy: RateLimitPolicy,
    decision: LimitDecision,
  ): void {
    refuse(res, record, 429, 'rate_limited', 'Too many requests; retry after the time in Retry-After', [
      'retry-after',
      retryAfterSeconds(decision),
      'ratelimit-policy',
      policy.header,
      'ratelimit',
      rateLimitField(policy, decision),
    ]);
  }

  function servePublic(
    route: PublicRoute,
    req: IncomingMessage,
    res: ServerResponse,
    record: RequestRecord,
  ): void {
    record.route = route.path;
    res.setHeader(REQUEST_ID_HEADER, record.requestId);
    res.setHeader('strict-transport-security', HSTS);
    res.once('finish', () => log(record, res.statusCode));
    const context: PublicRouteContext = {
      requestId: record.requestId,
      ip: record.ip,
      sendProblem(status, code, detail, extra = {}) {
        record.code = code;
        sendProblem(res, record.requestId, status, code, detail, Object.entries(extra).flat());
      },
    };
    const failed = (error: unknown) => {
      logger.error({ err: error, request_id: record.requestId, route: route.path }, 'public route failed');
      if (!res.headersSent)
        context.sendProblem(
          500,
          'internal_error',
          'Something went wrong on our side; quote the request_id to support',
        );
      else res.destroy();
    };
    try {
      const result = route.handle(req, res, context);
      if (result instanceof Promise) result.catch(failed);
    } catch (error) {
      failed(error);
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

const TLS_ONLY = Object.freeze({ tls: true });
const RETRY_SOON = Object.freeze(['retry-after', '1']);
const CLOSE = Object.freeze({ tls: true, close: true });

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
