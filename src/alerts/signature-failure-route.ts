import { type PublicRoute, readRouteBody } from '../gateway/public-route.ts';
import type { SecurityEvents } from '../monitor/security-events.ts';

export const SIGNATURE_FAILURES_PATH = '/gatehouse/v1/webhooks/signature-failures';
const MAX_BODY_BYTES = 4096;
/** Printable ASCII without spaces: a webhook id (the client sends at most 256 characters) or a reason. */
const WEBHOOK_ID = /^[\x21-\x7e]{1,256}$/;
const FIELD = /^[\x21-\x7e]{1,200}$/;

/**
 * `POST /gatehouse/v1/webhooks/signature-failures` (W6, provider side): an integrator's receiver,
 * authenticated by the gateway with the integrator's own credential (and held to its rate limit), reports a webhook whose signature did not
 * verify; reports are stored as aggregated `webhook_signature_failure` events and bursts alert
 * (`webhook_signature_failures`). Body: `{ "webhook_id": "...", "reason": "..." }`; 202 on success.
 */
export function signatureFailureRoute(securityEvents: SecurityEvents): PublicRoute {
  return {
    method: 'POST',
    path: SIGNATURE_FAILURES_PATH,
    authenticated: true,
    async handle(req, res, context) {
      const { caller } = context;
      if (caller === null) return context.sendProblem(401, 'credential_missing', 'Send your API key');
      const raw = await readRouteBody(req, context, MAX_BODY_BYTES, 'The report');
      if (raw === null) return;
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return context.sendProblem(400, 'malformed_json', 'The body must be JSON');
      }
      const report = body as { webhook_id?: unknown; reason?: unknown; endpoint_hint?: unknown };
      const hint = report.endpoint_hint;
      if (
        typeof body !== 'object' ||
        body === null ||
        typeof report.webhook_id !== 'string' ||
        !WEBHOOK_ID.test(report.webhook_id) ||
        typeof report.reason !== 'string' ||
        !FIELD.test(report.reason) ||
        (hint !== undefined && (typeof hint !== 'string' || !FIELD.test(hint)))
      ) {
        return context.sendProblem(
          400,
          'validation_failed',
          'Send { "webhook_id": "<id>", "reason": "<reason>", "endpoint_hint"?: "<path>" }: printable strings without spaces, at most 256 characters for the id and 200 for the others',
        );
      }
      await securityEvents.record(
        {
          event: 'webhook_signature_failure',
          source: 'webhook_receiver',
          credentialId: caller.credentialId,
          integratorId: caller.integratorId,
          ip: context.ip,
          details: {
            webhook_id: report.webhook_id,
            reason: report.reason,
            ...(typeof hint === 'string' ? { endpoint_hint: hint } : {}),
          },
        },
        Date.now(),
        { aggregate: true },
      );
      res.writeHead(202, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end('{"status":"recorded"}');
    },
  };
}
