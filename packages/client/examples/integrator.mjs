// Calls an API behind Gatehouse. Run: GATEHOUSE_URL=https://… GATEHOUSE_API_KEY=… node integrator.mjs
import { readFileSync } from 'node:fs';
import { createClient, GatehouseError, RateLimitError } from '@gatehouse/client';

const client = createClient({
  baseUrl: process.env.GATEHOUSE_URL, // the key comes from GATEHOUSE_API_KEY
  ...(process.env.GATEHOUSE_CA_FILE ? { ca: readFileSync(process.env.GATEHOUSE_CA_FILE) } : {}),
  logger: (record) => console.error(JSON.stringify(record)), // already redacted
});

try {
  const { data, requestId } = await client.request({ method: 'GET', path: '/v1/orders' });
  console.log(JSON.stringify({ data, requestId }));
} catch (error) {
  if (error instanceof RateLimitError) console.error(`slow down: retry in ${error.retryAfter} s`);
  else if (error instanceof GatehouseError) console.error(`${error.name} ${error.code} (${error.requestId})`);
  else throw error;
  process.exitCode = 1;
} finally {
  client.close();
}
