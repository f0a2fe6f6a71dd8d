import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.ts';
import { ApiError, invalidRequest } from '../http/api-error.ts';

/**
 * Credentials and endpoints are created for an existing, active integrator (K0): an unknown id is a
 * 400 naming `integrator_id`, a disabled integrator a 403 `integrator_disabled`.
 */
export async function requireActiveIntegrator(trx: Kysely<Schema>, integratorId: string): Promise<void> {
  const integrator = await trx
    .selectFrom('integrators')
    .select('status')
    .where('id', '=', integratorId)
    .executeTakeFirst();
  if (!integrator) throw invalidRequest([{ field: '/integrator_id', message: 'no integrator has this id' }]);
  if (integrator.status !== 'active') throw new ApiError('integrator_disabled', 'The integrator is disabled');
}
