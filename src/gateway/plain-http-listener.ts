import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { ClientAddressResolver } from './client-address.ts';
import type { TrafficLimits } from './config-file.ts';
import type { ExposureChannel, ExposureHandler } from './exposed-credential.ts';
import { sendProblem } from './gateway-response.ts';
import { applyListenerLimits, listenerOptions } from './listener-limits.ts';
import { credentialsInRawRequest, credentialsInRequest } from './request-credentials.ts';
import { readRequestHeaders } from './request-headers.ts';
import { createRequestLog } from './request-log.ts';

/**
 * The plain-HTTP refusal (T1): the optional listener on `GATEHOUSE_HTTP_PORT`, and what answers
 * plain HTTP sent to a TLS port (`acceptPlainHttp`, channel `plain_http_on_tls_port`). Every request
 * gets 403 `https_required` in plain HTTP with `Connection: close`, never a redirect (a redirect
 * would teach clients that sending the credential in clear text works). The refusal is sent before
 * anything is checked; every credential anywhere in the request line and headers is then handed to
 * the exposure handler (security event, optional revocation).
 */
export function createPlainHttpListener(deps: {
  limits: TrafficLimits;
  resolver: ClientAddressResolver;
  exposure: ExposureHandler;
  logger: Logger;
  channel?: ExposureChannel;
}): Server {
  const channel = deps.channel ?? 'plain_http_listener';
  const log = createRequestLog(deps.logger);
  // Refused either way: a request without Host must still reach the exposure handler (not a bare 400).
  const server = createServer({ ...listenerOptions(deps.limits), requireHostHeader: false }, (req, res) => {
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
    deps.exposure(credentialsInRequest(req.url ?? '', req.rawHeaders), ip, channel);
  });
  applyListenerLimits(server, deps.limits, deps.logger, false);
  // A request Node's parser refuses (400, 431) may carry a credential too: its bytes are searched, never logged.
  server.prependListener('clientError', (error: Error & { rawPacket?: Buffer }, socket: Duplex) => {
    if (error.rawPacket === undefined) return;
    deps.exposure(credentialsInRawRequest(error.rawPacket), (socket as Socket).remoteAddress ?? '', channel);
  });
  return server;
}
