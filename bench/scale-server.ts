/**
 * The Gatehouse process `bench/scale.ts` measures: `scale-server.ts <upstream> <dir> <keys>` starts
 * the real Gatehouse on SQLite in `dir` (API-key auth, scope check, rate limits set high, request
 * log on, written to /dev/null), seeds `keys` sandbox keys with direct inserts in one transaction
 * (the product's own hasher and key format, not `keys` admin calls), writes their secrets to
 * `dir/keys.txt` for the driver and reports `{ url, caFile, keysFile, seedMs }` over IPC. It runs
 * until killed; `cpu` asks for its CPU time so far.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateCredential } from '../src/crypto/key-format.ts';
import { createKeyedHasher } from '../src/crypto/keyed-hash.ts';
import { uuid7 } from '../src/db/uuid7.ts';
import { createLogger, logDestination } from '../src/log/logger.ts';
import { loadConfig } from '../src/server/config.ts';
import { startGatehouse } from '../src/server/gatehouse.ts';

const [upstreamUrl = '', dir = '', countText = '1'] = process.argv.slice(2);
const count = Number(countText);
const report = (message: Record<string, unknown>) => process.send?.(message);
process.on('message', (message) => {
  if (message === 'cpu') report({ cpu: process.cpuUsage() });
  if (message === 'exit') process.exit(0);
});

const env = {
  GATEHOUSE_DATA_DIR: dir,
  GATEHOUSE_HOST: '127.0.0.1',
  GATEHOUSE_PORT: '0',
  GATEHOUSE_ADMIN_PORT: '0',
  GATEHOUSE_CONFIG_FILE: join(dir, 'gatehouse.config.json'),
  GATEHOUSE_UPSTREAM_SANDBOX: upstreamUrl,
  GATEHOUSE_LOG_LEVEL: 'info',
};
writeFileSync(
  env.GATEHOUSE_CONFIG_FILE,
  JSON.stringify({
    routes: [{ method: 'GET', path: '/v1/orders/{id}', scopes: ['orders:read'] }],
    rate_limits: {
      per_credential: { requests_per_second: 1_000_000, burst: 1_000_000 },
      per_ip: { requests_per_second: 1_000_000, burst: 1_000_000 },
    },
  }),
);
const config = loadConfig(env);
const logger = createLogger({ level: 'info', destination: logDestination('/dev/null') });
const gatehouse = await startGatehouse(config, { logger });
const system = { actor: { type: 'system' as const, id: null, name: 'bench' } };
const integrator = await gatehouse.services.integrators.create({ name: 'Bench' } as never, system);

const seedStarted = performance.now();
const hasher = createKeyedHasher(config.pepper, 'credential-hash');
const secrets: string[] = [];
const ROWS_PER_INSERT = 500;
await gatehouse.services.database.db.transaction().execute(async (trx) => {
  for (let start = 0; start < count; start += ROWS_PER_INSERT) {
    const now = Date.now();
    const keys = [];
    const keySecrets = [];
    for (let i = start; i < Math.min(count, start + ROWS_PER_INSERT); i++) {
      const id = uuid7(now);
      const secret = generateCredential(config.keyPrefix, 'test');
      secrets.push(secret);
      keys.push({
        id,
        integrator_id: integrator.id,
        name: `bench-${i}`,
        owner: null,
        environment: 'sandbox',
        scopes_json: '["orders:read"]',
        allowed_ips_json: '[]',
        metadata_json: '{}',
        expires_at: null,
        usage_remaining: null,
        usage_refill_amount: null,
        usage_refill_interval: null,
        usage_refilled_at: null,
        rate_limit_json: null,
        revoked_at: null,
        revoked_reason: null,
        last_used_at: null,
        version: 1,
        created_at: now,
        updated_at: now,
      });
      keySecrets.push({
        id: uuid7(now),
        key_id: id,
        secret_hash: hasher.hash(secret),
        hint: secret.slice(-4),
        created_at: now,
        expires_at: null,
      });
    }
    await trx.insertInto('api_keys').values(keys).execute();
    await trx.insertInto('api_key_secrets').values(keySecrets).execute();
  }
});
const keysFile = join(dir, 'keys.txt');
writeFileSync(keysFile, secrets.join('\n'), { mode: 0o600 });
report({
  url: gatehouse.dataUrl,
  caFile: gatehouse.developmentCaFile,
  keysFile,
  seedMs: performance.now() - seedStarted,
});
