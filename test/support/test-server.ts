import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/log/logger.ts';
import { loadConfig } from '../../src/server/config.ts';
import { type RunningGatehouse, startGatehouse } from '../../src/server/gatehouse.ts';
import { logFile, recordSecret } from './artifacts.ts';
import { createHttpsClient, type HttpResponse, type RequestOptions } from './https-client.ts';
import { createTestPostgres } from './postgres.ts';
import { testEnvironment } from './test-config.ts';

export interface TestServer {
  readonly gatehouse: RunningGatehouse;
  readonly adminUrl: string;
  readonly dataUrl: string;
  readonly ca: Buffer;
  readonly ownerToken: string;
  readonly dataDir: string;
  /** The file the server logs to (complete once `close` has resolved). */
  readonly logPath: string;
  /** The environment the server was configured from (for CLI commands against the same deployment). */
  readonly env: Readonly<Record<string, string>>;
  /** A request to the admin API with the owner token unless `token` says otherwise (null: none). */
  admin(
    method: string,
    path: string,
    options?: RequestOptions & { token?: string | null },
  ): Promise<HttpResponse>;
  /** A request to the data path. */
  data(path: string, options?: RequestOptions): Promise<HttpResponse>;
  /** Stops the server and finishes its log file; calling it again waits for the same close. */
  close(): Promise<void>;
}

export interface TestServerOptions {
  readonly database?: 'sqlite' | 'postgres';
  readonly env?: Record<string, string>;
  readonly name?: string;
  /** A gateway file (YAML) to start with: written to a temp folder and named by GATEHOUSE_CONFIG_FILE. */
  readonly gatewayFile?: string;
}

/**
 * Starts a real Gatehouse on ephemeral ports over TLS, with fresh secrets, its own data directory
 * and its log captured to the run's artifacts. Every secret it creates is recorded for the leak scan.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const postgres = options.database === 'postgres' ? await createTestPostgres() : undefined;
  if (options.database === 'postgres' && !postgres) throw new Error('PostgreSQL is not reachable');
  const { env, dataDir, ownerToken } = testEnvironment({
    ...(postgres ? { GATEHOUSE_DATABASE_URL: postgres.url.reveal() } : {}),
    ...(options.gatewayFile === undefined
      ? {}
      : { GATEHOUSE_CONFIG_FILE: writeGatewayFile(options.gatewayFile) }),
    ...options.env,
  });
  const log = logFile(options.name ?? 'server');
  const gatehouse = await startGatehouse(loadConfig(env), {
    logger: createLogger({ level: 'debug', destination: log }),
  });
  const ca = readFileSync(gatehouse.developmentCaFile as string);
  const client = createHttpsClient(ca);
  let closing: Promise<void> | undefined;

  return {
    gatehouse,
    adminUrl: gatehouse.adminUrl,
    dataUrl: gatehouse.dataUrl,
    ca,
    ownerToken,
    dataDir,
    logPath: String(log.path),
    env,
    async admin(method, path, requestOptions = {}) {
      const { token = ownerToken, ...rest } = requestOptions;
      const headers = { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...rest.headers };
      const response = await client.send(`${gatehouse.adminUrl}${path}`, { ...rest, method, headers });
      for (const field of ['key', 'token']) {
        if (typeof response.json?.[field] === 'string') recordSecret(response.json[field]);
      }
      return response;
    },
    data: (path, requestOptions) => client.send(`${gatehouse.dataUrl}${path}`, requestOptions),
    close() {
      closing ??= (async () => {
        await client.close();
        await gatehouse.close();
        await new Promise((resolve) => log.end(resolve));
        await postgres?.drop();
        rmSync(dataDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}

function writeGatewayFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'gatehouse-test-gateway-')), 'gatehouse.config.yaml');
  writeFileSync(file, text);
  return file;
}
