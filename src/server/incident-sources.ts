import type { AlertService } from '../alerts/alert-service.ts';
import { ApiError } from '../http/api-error.ts';
import type { Page } from '../http/pagination.ts';
import type { CandidateCredential, CredentialSource } from '../incidents/credential-selection.ts';
import type { AttachmentKind } from '../incidents/incident.ts';
import type { AttachmentLookup } from '../incidents/incident-service.ts';
import type { IssuedKey, KeyService } from '../keys/key-service.ts';
import type { SecurityEvents } from '../monitor/security-events.ts';
import type { ClientService, IssuedClient } from '../oauth/client-service.ts';
import type { EndpointService, IssuedEndpoint } from '../webhooks/endpoint-service.ts';

const PAGE = 200;

/** Every item of a paged list, page after page. */
async function everyPage<T>(fetch: (cursor: string | undefined) => Promise<Page<T>>): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await fetch(cursor);
    all.push(...page.data);
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
  return all;
}

const candidate = (
  kind: CandidateCredential['kind'],
  c: {
    id: string;
    integrator_id: string;
    environment: CandidateCredential['environment'];
    created_at: string;
  },
  name: string,
): CandidateCredential => ({
  kind,
  id: c.id,
  integratorId: c.integrator_id,
  environment: c.environment,
  name,
  createdAt: Date.parse(c.created_at),
});

/** An endpoint's name on a timeline or in an event: its host, never its path or query. */
const endpointName = (url: string, description: string) => {
  if (description !== '') return description;
  try {
    return new URL(url).host;
  } catch {
    return 'webhook endpoint';
  }
};

/** The kinds of credential a bulk action reaches, each through its own service. */
export function incidentSources(deps: {
  keys: KeyService;
  clients: ClientService;
  endpoints: EndpointService;
}): CredentialSource[] {
  const { keys, clients, endpoints } = deps;
  return [
    {
      kind: 'api_key',
      usable: async ({ environment, integratorId }) =>
        (
          await everyPage((cursor) =>
            keys.list({ environment, integratorId, status: 'active' }, PAGE, cursor),
          )
        ).map((k) => candidate('api_key', k, k.name)),
      rotate: (id, overlap, context) => keys.rotate(id, overlap, context),
      revoke: (id, reason, context) => keys.revoke(id, reason, context),
      revokeReplacesSecret: false,
      secretOf: (result) => (result as IssuedKey).secret,
    },
    {
      kind: 'oauth_client',
      usable: async ({ integratorId }) =>
        (await everyPage((cursor) => clients.list(integratorId, PAGE, cursor)))
          .filter((c) => c.status !== 'revoked')
          .map((c) => candidate('oauth_client', c, c.name)),
      rotate: (id, overlap, context) => clients.rotate(id, overlap, context),
      revoke: (id, reason, context) => clients.revoke(id, reason, context),
      revokeReplacesSecret: false,
      secretOf: (result) => (result as IssuedClient).secret,
    },
    {
      kind: 'webhook_endpoint',
      usable: async ({ environment, integratorId }) =>
        (await everyPage((cursor) => endpoints.list({ environment, integratorId }, PAGE, cursor))).map((e) =>
          candidate('webhook_endpoint', e, endpointName(e.url, e.description)),
        ),
      rotate: (id, overlap, context) => endpoints.rotate(id, overlap, context),
      // Endpoints must keep signing: "revoking" one ends its secrets at once with a new one.
      revoke: (id, _reason, context) => endpoints.rotate(id, 0, context),
      revokeReplacesSecret: true,
      secretOf: (result) => (result as IssuedEndpoint).secret,
    },
  ];
}

/** A lookup that answers undefined where the service answers 404. */
const unlessNotFound =
  (find: (id: string) => Promise<Record<string, unknown>>): AttachmentLookup =>
  async (id) => {
    try {
      return await find(id);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'not_found') return undefined;
      throw error;
    }
  };

/** What an incident may have attached, found through the owning services (facts only, no secret). */
export function incidentAttachments(deps: {
  alerts: AlertService;
  securityEvents: SecurityEvents;
  keys: KeyService;
  clients: ClientService;
  endpoints: EndpointService;
}): Record<AttachmentKind, AttachmentLookup> {
  const { alerts, securityEvents, keys, clients, endpoints } = deps;
  const credential = (kind: string, c: { integrator_id: string; environment: string }, name: string) => ({
    credential_kind: kind,
    integrator_id: c.integrator_id,
    environment: c.environment,
    name,
  });
  const credentialLookups: AttachmentLookup[] = [
    unlessNotFound(async (id) => {
      const k = await keys.get(id);
      return credential('api_key', k, k.name);
    }),
    unlessNotFound(async (id) => {
      const c = await clients.get(id);
      return credential('oauth_client', c, c.name);
    }),
    unlessNotFound(async (id) => {
      const e = await endpoints.get(id);
      return credential('webhook_endpoint', e, endpointName(e.url, e.description));
    }),
  ];
  return {
    alert: unlessNotFound(async (id) => {
      const alert = await alerts.get(id);
      return { rule: alert.rule, subject: alert.subject, first_seen: alert.first_seen };
    }),
    security_event: async (id) => {
      const event = await securityEvents.find(id);
      return event && { event: event.event, source: event.source, timestamp: event.timestamp };
    },
    credential: async (id) => {
      for (const lookup of credentialLookups) {
        const found = await lookup(id);
        if (found) return found;
      }
      return undefined;
    },
  };
}
