import type { AuditLog } from '../audit/audit-log.ts';
import type { Envelope } from '../crypto/envelope.ts';
import type { Database } from '../db/database.ts';
import type { Environment } from '../environments/environment.ts';
import type { Logger } from '../log/logger.ts';
import { DeliveryQueue } from './delivery-queue.ts';
import { EventCatalog } from './event-catalog.ts';
import { EventPublisher } from './event-publisher.ts';

/** Tells an integrator of something Gatehouse did to its credentials, as a webhook event. */
export type IntegratorNotifier = (event: {
  readonly type: string;
  readonly integratorId: string;
  readonly environment: Environment;
  readonly data: Record<string, unknown>;
}) => Promise<void>;

/**
 * Publishes Gatehouse's own events (`credential.leaked`) to the integrator's subscribed endpoints,
 * durably, from any thread: the delivery worker of the main thread picks them up on its next poll.
 * A failure is logged, never thrown: the action it reports has happened already.
 */
export function createIntegratorNotifier(deps: {
  readonly database: Database;
  readonly audit: AuditLog;
  readonly envelope: Envelope;
  readonly firstDelayMs: number;
  readonly logger: Logger;
}): IntegratorNotifier {
  const { db, dialect } = deps.database;
  const publisher = new EventPublisher({
    db,
    catalog: new EventCatalog({ db, audit: deps.audit }),
    envelope: deps.envelope,
    queue: new DeliveryQueue(db, dialect),
    firstDelayMs: deps.firstDelayMs,
    onPublished: () => {},
  });
  return async ({ type, integratorId, environment, data }) => {
    try {
      await publisher.publish({ type, integrator_id: integratorId, environment, data });
    } catch (error) {
      deps.logger.warn(
        { err: error, event_type: type, integrator_id: integratorId },
        'could not notify the integrator',
      );
    }
  };
}
