import type { IntegratorTable } from './integrator-schema.ts';

export type IntegratorStatus = 'active' | 'disabled';

/** An integrator (K0): one customer account of the API, owning its credentials and endpoints. */
export interface Integrator {
  id: string;
  name: string;
  email: string | null;
  status: IntegratorStatus;
  metadata: Record<string, unknown>;
  version: number;
  created_at: string;
  updated_at: string;
}

/** The fields a PUT replaces. */
export interface IntegratorInput {
  name: string;
  email: string | null;
  status: IntegratorStatus;
  metadata: Record<string, unknown>;
}

export function toIntegrator(row: IntegratorTable): Integrator {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    status: row.status as IntegratorStatus,
    metadata: JSON.parse(row.metadata_json) as Record<string, unknown>,
    version: row.version,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}
