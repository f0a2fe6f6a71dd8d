import { type AuthStrategy, authenticate } from '../gateway/auth-strategy.ts';
import { presentedCredential } from '../gateway/presented-credential.ts';
import type { PublicRoute } from '../gateway/public-route.ts';
import { readRequestBody } from '../gateway/request-body.ts';
import { readRequestHeaders } from '../gateway/request-headers.ts';
import type { SecurityEvents } from '../monitor/security-events.ts';

export const SIGNATURE_FAILURES_PATH = '/gatehouse/v1/webhooks/signature-failures';
const MAX_BODY_BYTES = 4096;
const FIELD = /^[\x21-\x7e]{1,200}$/;

/**
 * `POST /gatehouse/v1/webhooks/signature-failures` (W6, provider side): an integrator's receiver,
 * authenticated with the integrator's own credential, reports a webhook whose signature did not
 * verify; reports are stored as aggregated `webhook_signature_failure` events and bursts alert
 * (`webhook_signature_failures`). Body: `{ "webhook_id": "...", "reason": "..." }`; 202 on success.
 */
export function signatureFailureRoute(
  strategies: readonly AuthStrategy[],
  securityEvents: SecurityEvents,
): PublicRoute {
  return {
    method: 'POST',
    path: SIGNATURE_FAILURES_PATH,
    async handle(req, res, context) {
      const presence = presentedCredential(readRequestHeaders(req.rawHeaders));
      if (presence.kind === 'none')
        return context.sendProblem(
          401,
          'credential_missing',
          'Send your API key in X-API-Key or Authorization: Bearer',
        );
      if (presence.kind === 'invalid') return context.sendProblem(400, 'invalid_request', presence.detail);
      const outcome = await authenticate(strategies, presence.credential, {
        ip: context.ip,
        environment: undefined,
      });
      if (!outcome.ok)
        return context.sendProblem(outcome.failure.status, outcome.failure.code, outcome.failure.detail);
      const read = await readRequestBody(req, MAX_BODY_BYTES);
      if (!read.ok) {
        if (read.reason === 'too_large')
          return context.sendProblem(
            413,
            'body_too_large',
            `The report must be at most ${MAX_BODY_BYTES} bytes`,
            {
              connection: 'close',
            },
          );
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(read.body.toString('utf8'));
      } catch {
        return context.sendProblem(400, 'malformed_json', 'The body must be JSON');
      }
      const report = body as { webhook_id?: unknown; reason?: unknown };
      if (
        typeof body !== 'object' ||
        body === null ||
        typeof report.webhook_id !== 'string' ||
        !FIELD.test(report.webhook_id) ||
        typeof report.reason !== 'string' ||
        !FIELD.test(report.reason)
      ) {
        return context.sendProblem(
          400,
          'validation_failed',
          'Send { "webhook_id": "<id>", "reason": "<reason>" }: printable strings of at most 200 characters',
        );
      }
      await securityEvents.record(
        {
          event: 'webhook_signature_failure',
          source: 'webhook_receiver',
          credentialId: outcome.caller.credentialId,
          integratorId: outcome.caller.integratorId,
          ip: context.ip,
          details: { webhook_id: report.webhook_id, reason: report.reason },
        },
        Date.now(),
        { aggregate: true },
      );
      res.writeHead(202, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end('{"status":"recorded"}');
    },
  };
}
