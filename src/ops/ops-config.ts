import type { EnvReader } from '../config/env-reader.ts';

/** What `doctor` is told about the deployment that it cannot see from one instance. */
export interface OpsConfig {
  /** `GATEHOUSE_INSTANCES`: how many instances serve this deployment (default 1). */
  readonly declaredInstances: number;
}

export function readOpsConfig(read: EnvReader): OpsConfig {
  return { declaredInstances: read.integer('GATEHOUSE_INSTANCES', 1, 1, 10_000) };
}
