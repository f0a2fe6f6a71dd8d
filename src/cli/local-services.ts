import { createLogger } from '../log/logger.ts';
import { loadConfig } from '../server/config.ts';
import type { Services } from '../server/services.ts';

/**
 * Opens the deployment's own storage with its configuration, for the commands an operator runs on
 * the server itself (bootstrap a token, verify the audit chain even while the API is down).
 */
export async function withLocalServices(body: (services: Services) => Promise<void>): Promise<void> {
  const config = loadConfig(process.env);
  const { createServices } = await import('../server/services.ts');
  const services = await createServices(config, createLogger({ level: 'warn', destination: process.stderr }));
  try {
    await body(services);
  } finally {
    await services.close();
  }
}
