// Writes schema/gatehouse.config.schema.json from the TypeBox schema of the gateway file (`npm run schema`).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gatewayFileJsonSchema } from '../src/gateway/config-file-schema.ts';

const file = fileURLToPath(new URL('../schema/gatehouse.config.schema.json', import.meta.url));
writeFileSync(file, `${JSON.stringify(gatewayFileJsonSchema(), null, 2)}\n`);
execFileSync('npx', ['biome', 'format', '--write', file], { stdio: 'ignore' });
console.log(`wrote ${file}`);
