import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import type { ClientAddressResolver } from './client-address.ts';
import type { TrafficLimits } from './config-file.ts';
import type { ExposureHandler } from './exposed-credential.ts';
import { sendProblem } from './gateway-response.ts';
import { applyListenerLimits, listenerOptions } from './listener-limits.ts';
import { presentedCredential } from './presented-credential.ts';
import { readRequestHeaders } from './request-headers.ts';
import { createRequestLog } from './request-log.ts';

/**
 * The optional plain-HTTP listener (`GATEHOUSE_HTTP_PORT`, T1). Its only job is refusal: every
 * request gets 403 `https_required`, never a redirect (a redirect would teach clients that sending
 * the credential in clear text works). The refusal is sent before anything is checked; a
 * credential in the request is then handed to the exposure handler (security event, optional revocation).
 */
export function createPlainHttpListener(deps: {
  limits: TrafficLimits;
  resolver: ClientAddressResolver;
  exposure: ExposureHandler;
  logger: Logger;
}): Server {
  const log = createRequestLog(deps.logger);
  const server = createServer(listenerOptions(deps.limits), (req, res) => {
    const headers = readRequestHeaders(req.rawHeaders);
    const peer = req.socket.remoteAddress ?? '';
    const ip = deps.resolver.clientIp(peer, deps.resolver.trusts(peer) ? headers.forwardedFor : undefined);
    const record = {
      requestId: randomUUID(),
      started: performance.now(),
      method: req.method ?? 'GET',
      target: req.url ?? '',
      ip,
      userAgent: headers.userAgent,
      bodyPending: false,
      route: null,
      caller: null,
      credentialId: null,
      integratorId: null,
      code: 'https_required',
      upstreamStatus: null,
    };
    sendProblem(
      res,
      record.requestId,
      403,
      'https_required',
      'Use HTTPS; plain HTTP requests are refused. Treat any credential sent here as exposed.',
      null,
      { tls: false, close: true },
    );
    log(record, 403);
    deps.exposure(presentedCredential(headers), ip, 'plain_http_listener');
  });
  applyListenerLimits(server, deps.limits, deps.logger, false);
  return server;
}
