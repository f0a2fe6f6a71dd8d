import { createServer, type Server } from 'node:https';
import type { SecureContextOptions } from 'node:tls';
import { uuid7 } from '../db/uuid7.ts';
import { PROBLEM_CONTENT_TYPE, problemOf } from '../http/problem.ts';

/**
 * The data-path listener (`GATEHOUSE_PORT`). Until the gateway is configured it answers health
 * checks and refuses everything else with a problem document.
 */
export function createDataListener(tls: SecureContextOptions): Server {
  return createServer({ ...tls, minVersion: 'TLSv1.2' }, (request, response) => {
    response.setHeader('strict-transport-security', 'max-age=31536000');
    if (request.method === 'GET' && request.url === '/healthz') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    const requestId = uuid7();
    response
      .writeHead(404, { 'content-type': PROBLEM_CONTENT_TYPE, 'x-request-id': requestId })
      .end(JSON.stringify(problemOf(404, 'not_found', 'No such endpoint', requestId)));
  });
}
